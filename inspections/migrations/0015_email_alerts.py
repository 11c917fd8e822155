"""Email alerts on a search (#18): the alert (Subscription), each confirmation link mailed for it, and
each mail decided on for it (AlertDelivery, one per alert and day or week)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inspections', '0014_similar_findings_lexemes'),
    ]

    operations = [
        migrations.CreateModel(
            name='Subscription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', models.EmailField(help_text='Where the alerts go, in lower case. Never shown on any page.', max_length=254)),
                ('query', models.TextField(blank=True, help_text='The search, as the query string the findings search reads (filters only, no page or order, each filter once in a fixed order, values sorted); empty for every finding.')),
                ('frequency', models.CharField(choices=[('daily', 'Daily'), ('weekly', 'Weekly')], default='daily', help_text='How often a mail may go: at most one a day, or one a week (from Monday), and only when something new was published.', max_length=16)),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When the alert was first asked for.')),
                ('confirmed_at', models.DateTimeField(blank=True, help_text="When the address's owner last followed a confirmation link; empty until they do, and nothing is sent before.", null=True)),
                ('unsubscribed_at', models.DateTimeField(blank=True, help_text="When the alert was stopped from a mail's link; empty while it runs.", null=True)),
                ('last_sent_through', models.DateTimeField(blank=True, help_text='Findings whose inspection entered the archive up to this moment have been considered for a mail; the next lists those after it. Set to the moment of confirmation.', null=True)),
                ('period_checked', models.DateField(blank=True, help_text='The first day of the last day or week (Monday) this alert was checked for new findings; it is not checked again within it.', null=True)),
            ],
            options={
                'ordering': ['pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('frequency__in', ['daily', 'weekly'])), name='subscription_frequency_valid'), models.CheckConstraint(condition=models.Q(('email', models.Func('email', function='lower'))), name='subscription_email_lower_case'), models.CheckConstraint(condition=models.Q(('confirmed_at__isnull', True), ('last_sent_through__isnull', False), _connector='OR'), name='subscription_confirmed_has_watermark'), models.UniqueConstraint(models.F('email'), models.Func('query', function='md5'), name='subscription_one_per_address_and_search')],
            },
        ),
        migrations.CreateModel(
            name='AlertDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start', models.DateField(help_text="The day, or the Monday of the week, it is the alert's mail for (at most one each).")),
                ('frequency', models.CharField(choices=[('daily', 'Daily'), ('weekly', 'Weekly')], help_text="The alert's frequency when it was decided on.", max_length=16)),
                ('findings_after', models.DateTimeField(help_text='It lists the findings whose inspection entered the archive after this moment …')),
                ('findings_through', models.DateTimeField(help_text='… and up to this one.')),
                ('finding_count', models.PositiveIntegerField(help_text='How many findings it listed when decided on.')),
                ('status', models.CharField(choices=[('pending', 'Waiting to be sent'), ('sent', 'Sent'), ('failed', 'Given up'), ('cancelled', 'Not sent')], default='pending', help_text='Where it stands.', max_length=16)),
                ('attempts', models.PositiveSmallIntegerField(default=0, help_text='How many times it was handed to the mail server.')),
                ('last_error', models.TextField(blank=True, help_text='What the mail server said the last time it failed.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When it was decided on.')),
                ('sent_at', models.DateTimeField(blank=True, help_text='When the mail server accepted it; empty until it does.', null=True)),
                ('subscription', models.ForeignKey(help_text='The alert it is for.', on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='inspections.subscription')),
            ],
            options={
                'verbose_name_plural': 'alert deliveries',
                'ordering': ['pk'],
                'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['id'], name='alertdelivery_pending')],
                'constraints': [models.UniqueConstraint(fields=('subscription', 'period_start'), name='alertdelivery_one_per_period'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'sent', 'failed', 'cancelled'])), name='alertdelivery_status_valid'), models.CheckConstraint(condition=models.Q(('frequency__in', ['daily', 'weekly'])), name='alertdelivery_frequency_valid'), models.CheckConstraint(condition=models.Q(('findings_after__lt', models.F('findings_through'))), name='alertdelivery_window_forward'), models.CheckConstraint(condition=models.Q(models.Q(('sent_at__isnull', False), ('status', 'sent')), models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', True)), _connector='OR'), name='alertdelivery_sent_when_sent')],
            },
        ),
        migrations.CreateModel(
            name='AlertConfirmation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('frequency', models.CharField(choices=[('daily', 'Daily'), ('weekly', 'Weekly')], help_text='The frequency asked for with this request.', max_length=16)),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When the link was asked for.')),
                ('used_at', models.DateTimeField(blank=True, help_text='When the link was followed and confirmed; a link works once.', null=True)),
                ('subscription', models.ForeignKey(help_text='The alert this link would confirm.', on_delete=django.db.models.deletion.CASCADE, related_name='confirmations', to='inspections.subscription')),
            ],
            options={
                'ordering': ['pk'],
                'indexes': [models.Index(fields=['created_at'], name='alertconfirmation_created')],
                'constraints': [models.CheckConstraint(condition=models.Q(('frequency__in', ['daily', 'weekly'])), name='alertconfirmation_frequency_valid')],
            },
        ),
    ]
