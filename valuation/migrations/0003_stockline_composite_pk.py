"""Stock lines keyed by (upload, row): no identity id, one index instead of three.

COPY of a million lines into the old shape (identity id + its primary key index + the FK index +
an (upload, row) index) took ~1.4x longer than into a table whose only index is the composite
primary key (bench/README.md). The table is rebuilt keeping its lines: renamed aside, its indexes
dropped (their names would collide with the new table's), a new table created from the model,
the lines copied across, the old table dropped. The same works backwards.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "valuation_stockline"
ASIDE = "valuation_stockline_before_0003"
COLUMNS = (
    "upload_id, row, sku, description, category, sub_category, warehouse, quantity, unit, unit_cost, "
    "book_value, currency, last_movement_date, receipt_date, annual_consumption_qty, unpaid_amount, "
    "retention_of_title, supplier_consignment, reverse_factoring, defective, expiry_date, in_transit, "
    "customer_return, firm_order, sellable_as_is, resale_unit_price, transport_cost, storage_cost, "
    "commission_cost"
)


def _rebuild(from_state, to_state, schema_editor):
    old = from_state.apps.get_model("valuation", "StockLine")
    new = to_state.apps.get_model("valuation", "StockLine")
    connection = schema_editor.connection
    schema_editor.alter_db_table(old, TABLE, ASIDE)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ASIDE)
    for name, info in constraints.items():
        if name.startswith("sqlite_autoindex"):
            continue
        if connection.vendor == "postgresql" and (info["primary_key"] or info["foreign_key"] or info["unique"]):
            schema_editor.execute(f'ALTER TABLE "{ASIDE}" DROP CONSTRAINT "{name}"')
        elif info["index"] and not info["primary_key"]:
            schema_editor.execute(f'DROP INDEX "{name}"')
    schema_editor.create_model(new)
    schema_editor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {ASIDE}")  # noqa: S608
    schema_editor.execute(f'DROP TABLE "{ASIDE}"')


class Rebuild(migrations.operations.base.Operation):
    """The model's new shape: in the state a Delete + Create of the model, in the database a
    rebuild that keeps the lines."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, state_operations):
        self.state_operations = state_operations

    def deconstruct(self):
        return self.__class__.__name__, [], {"state_operations": self.state_operations}

    def state_forwards(self, app_label, state):
        for operation in self.state_operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        _rebuild(from_state, to_state, schema_editor)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        _rebuild(from_state, to_state, schema_editor)

    def describe(self):
        return "Rebuild valuation_stockline keyed by (upload, row), keeping its lines"


class Migration(migrations.Migration):
    dependencies = [
        ("valuation", "0002_pipeline"),
    ]

    operations = [
        Rebuild(
            state_operations=[
                migrations.DeleteModel(name="StockLine"),
                migrations.CreateModel(
                    name="StockLine",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "upload_id", "row", blank=True, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("row", models.IntegerField()),
                        ("sku", models.CharField(max_length=100)),
                        ("description", models.CharField(blank=True, max_length=300)),
                        ("category", models.CharField(max_length=20)),
                        ("sub_category", models.CharField(blank=True, max_length=50)),
                        ("warehouse", models.CharField(blank=True, max_length=50)),
                        ("quantity", models.DecimalField(decimal_places=3, max_digits=18)),
                        ("unit", models.CharField(blank=True, max_length=20)),
                        ("unit_cost", models.DecimalField(decimal_places=4, max_digits=18, null=True)),
                        ("book_value", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("currency", models.CharField(blank=True, max_length=3)),
                        ("last_movement_date", models.DateField(null=True)),
                        ("receipt_date", models.DateField(null=True)),
                        ("annual_consumption_qty", models.DecimalField(decimal_places=3, max_digits=18, null=True)),
                        ("unpaid_amount", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("retention_of_title", models.BooleanField(null=True)),
                        ("supplier_consignment", models.BooleanField(null=True)),
                        ("reverse_factoring", models.BooleanField(null=True)),
                        ("defective", models.BooleanField(null=True)),
                        ("expiry_date", models.DateField(null=True)),
                        ("in_transit", models.BooleanField(null=True)),
                        ("customer_return", models.BooleanField(null=True)),
                        ("firm_order", models.BooleanField(null=True)),
                        ("sellable_as_is", models.BooleanField(null=True)),
                        ("resale_unit_price", models.DecimalField(decimal_places=4, max_digits=18, null=True)),
                        ("transport_cost", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("storage_cost", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("commission_cost", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        (
                            "upload",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="lines",
                                to="valuation.stockupload",
                            ),
                        ),
                    ],
                ),
            ],
        ),
    ]
