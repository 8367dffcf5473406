from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ai', '0003_trace_decision_length'),
    ]

    operations = [
        migrations.AddField(
            model_name='trace',
            name='language',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
    ]
