"""Django's makemessages, also extracting strings marked with the `_lazy` alias
(`from django.utils.translation import gettext_lazy as _lazy`, used next to `gettext as _` in
views): xgettext only knows the keywords it is given, so without this those strings would never
reach the catalogues and would stay English in French and Chinese."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
