from django.apps import AppConfig


class ValuationConfig(AppConfig):
    name = "valuation"
    verbose_name = "Stock files and valuations"

    def ready(self) -> None:
        # Register the pipeline's tasks in every process, web and worker alike: the floors below
        # ask for them by name (``valuation.revalue_stale``) and never import this app.
        from valuation.pipeline import tasks  # noqa: F401
