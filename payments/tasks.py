"""Outgoing Stripe calls, run by the task worker (``manage.py db_worker``), never on a hot path.

Each is queued in the transaction that decided it (the django-tasks database backend writes the
task row in that transaction, so a rollback queues nothing) and is idempotent: running one twice,
or after a crash half-way, neither charges nor pays twice (the services check their own records
and send Stripe an idempotency key).
"""

from django_tasks import task


@task()
def run_auto_reload(attempt_id: int) -> str:
    from payments.services import auto_reload

    return auto_reload.run_auto_reload(attempt_id).status


@task()
def send_payout(payout_id: int) -> str:
    from payments.services import payouts

    return payouts.send_payout(payout_id).status


@task()
def refresh_card_details(user_id: int) -> None:
    from payments.services import stripe_events

    stripe_events.refresh_card_details(user_id)
