"""A column mapping per export format (its header set), not one per client; a file currency.

Each existing per-client mapping becomes the mapping of one format: the header row of the
client's latest file that holds every header the mapping names (the advisor's choices on top of
how that file was read), or the mapping's own headers when no stored file has them all.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# The signature's one definition: stored signatures must match those of new files.
from valuation.imports.formats import header_keys, header_signature


def per_format(apps, schema_editor):
    ClientMapping = apps.get_model("valuation", "ClientMapping")
    StockUpload = apps.get_model("valuation", "StockUpload")
    for saved in ClientMapping.objects.all():
        columns = dict((saved.mapping or {}).get("columns") or {})
        wanted = header_keys(columns)
        headers = list(columns)
        chosen = None
        for upload in StockUpload.objects.filter(client_id=saved.client_id).order_by("-uploaded_at", "-id"):
            read = dict((upload.mapping or {}).get("columns") or {})
            if read and wanted <= header_keys(read):
                chosen = upload
                break
        if chosen is not None:
            read = dict(chosen.mapping["columns"])
            taken = {t for t in columns.values() if t}
            merged = {h: (None if t in taken and h not in columns else t) for h, t in read.items()}
            merged.update(columns)
            headers = list(read)
            saved.mapping = dict(saved.mapping, columns=merged, unmapped=[h for h, t in merged.items() if t is None])
        saved.headers = headers
        saved.signature = header_signature(headers)
        saved.updated_at = saved.confirmed_at or django.utils.timezone.now()
        saved.save(update_fields=["headers", "signature", "mapping", "updated_at"])
        if chosen is not None:
            StockUpload.objects.filter(pk=chosen.pk).update(column_mapping=saved)


def per_client(apps, schema_editor):
    """Back to one mapping per client: the latest of each client's formats is kept."""
    ClientMapping = apps.get_model("valuation", "ClientMapping")
    kept: set[int] = set()
    for saved in ClientMapping.objects.order_by("-updated_at", "-id"):
        if saved.client_id in kept:
            saved.delete()
        else:
            kept.add(saved.client_id)


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0003_client_view_and_reporting_period"),
        ("valuation", "0003_stockline_composite_pk"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="clientmapping",
            name="client",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="column_mappings",
                to="borrowers.clientcompany",
            ),
        ),
        migrations.AlterField(
            model_name="clientmapping",
            name="confirmed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="clientmapping",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="clientmapping",
            name="headers",
            field=models.JSONField(default=list, help_text="The header row this mapping was made for."),
        ),
        migrations.AddField(
            model_name="clientmapping",
            name="proposed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="clientmapping",
            name="signature",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="clientmapping",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AlterModelOptions(
            name="clientmapping",
            options={"ordering": ["-updated_at", "-id"]},
        ),
        migrations.AddField(
            model_name="stockupload",
            name="column_mapping",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="uploads",
                to="valuation.clientmapping",
            ),
        ),
        migrations.AddField(
            model_name="stockupload",
            name="currency",
            field=models.CharField(
                blank=True,
                help_text="The currency of lines with no currency of their own; the client's when blank.",
                max_length=3,
                verbose_name="file currency",
            ),
        ),
        migrations.AddField(
            model_name="stockupload",
            name="sample",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(per_format, per_client),
        migrations.AddConstraint(
            model_name="clientmapping",
            constraint=models.UniqueConstraint(fields=("client", "signature"), name="one_mapping_per_format"),
        ),
    ]
