"""The NOLV JSON is gone: appraisals are records now (0004 moved every entry into one)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("facilities", "0007_appraisals_from_json")]

    operations = [migrations.RemoveField(model_name="facility", name="nolv_appraisal")]
