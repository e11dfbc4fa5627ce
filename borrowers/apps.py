from django.apps import AppConfig


class BorrowersConfig(AppConfig):
    name = "borrowers"
    verbose_name = "Firms, borrowers and users"
