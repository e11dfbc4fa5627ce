"""Field exams (issue 16): a stock controller's test counts on site and their way into the valuation."""
