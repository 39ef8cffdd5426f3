"""Teams, memberships and full exports move to the teams app, their data untouched.

The tables are renamed here, while the models are still this app's; then the models leave
this app's state, and teams.0001 takes them into its own without touching the database.
"""

from django.db import migrations

MOVED = [
    "team",
    "membership",
    "teamexport",
    "historicalteam",
    "historicalmembership",
    "historicalteam_managers",
]


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0006_rating_client'),
    ]

    operations = [
        # Renaming a model's table renames its many-to-many tables with it (team_managers).
        *[migrations.AlterModelTable(name=name, table=f"teams_{name}") for name in MOVED],
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalmembership',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalmembership',
                    name='occupation',
                ),
                migrations.RemoveField(
                    model_name='historicalmembership',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='historicalmembership',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='historicalteam',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalteam',
                    name='occupation',
                ),
                migrations.RemoveField(
                    model_name='historicalteam_managers',
                    name='history',
                ),
                migrations.RemoveField(
                    model_name='historicalteam_managers',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='historicalteam_managers',
                    name='user',
                ),
                migrations.RemoveConstraint(
                    model_name='membership',
                    name='unique_membership',
                ),
                migrations.RemoveField(
                    model_name='team',
                    name='members',
                ),
                migrations.RemoveField(
                    model_name='team',
                    name='managers',
                ),
                migrations.RemoveField(
                    model_name='team',
                    name='occupation',
                ),
                migrations.RemoveField(
                    model_name='teamexport',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='teamexport',
                    name='requested_by',
                ),
                migrations.DeleteModel(
                    name='HistoricalMembership',
                ),
                migrations.DeleteModel(
                    name='HistoricalTeam',
                ),
                migrations.DeleteModel(
                    name='HistoricalTeam_managers',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='occupation',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='TeamExport',
                ),
                migrations.DeleteModel(
                    name='Team',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
    
            ],
        ),
    ]
