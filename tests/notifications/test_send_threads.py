"""A sending thread is ready to mark a message sent before it starts talking to the SMTP
server: the instant between the server's 250 and the row's UPDATE (in which a killed
worker leaves an accepted message to go twice) holds no connection check or reconnect."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection, connections

from notifications import tasks


def first_statement_state(sender_thread_body) -> dict:
    """What a sending thread's database connection looks like when `send_all` starts."""
    seen: dict = {}

    def fake_send_all(channel, deliveries, stop, prepared):
        seen["open"] = connection.connection is not None
        seen["checked"] = connection.health_check_done
        seen["health_checks"] = connection.health_check_enabled
        return tasks.Tally()

    def body() -> None:
        try:
            sender_thread_body()
        finally:
            connection.close()

    with mock.patch.object(tasks, "send_all", fake_send_all):
        thread = threading.Thread(target=body)
        thread.start()
        thread.join(timeout=30)
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_sending_thread_opens_and_checks_its_connection_before_the_conversation():
    seen = first_statement_state(lambda: tasks.in_thread("email", [], threading.Event(), {}))
    assert seen == {"open": True, "checked": True, "health_checks": True}


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_found_dead_is_replaced_before_the_conversation():
    """A connection the server dropped while the thread waited between tasks: the check
    finds it unusable and a new one is open before any message goes out."""

    def body() -> None:
        connection.ensure_connection()
        dead = connection.connection
        connection.health_check_done = False  # as close_old_connections leaves it
        wrapper = connections["default"]  # this thread's own, not the proxy
        with mock.patch.object(wrapper, "is_usable", return_value=False):
            tasks.ready_to_record()
        assert connection.connection is not None and connection.connection is not dead
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)

    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            body()
        except BaseException as error:  # reported in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=guarded)
    thread.start()
    thread.join(timeout=30)
    assert not errors, errors


def test_a_small_batch_goes_in_one_thread_a_backlog_batch_in_several(settings):
    """Parallel sends of a handful of messages only put them all in the server's queue at
    once — each waits longer between its final dot and its mark, the instant a kill
    doubles; a backlog's batches need the threads for their rate."""
    settings.EMAIL_BACKEND = tasks.SMTP_BACKEND
    settings.NOTIFICATIONS_SEND_THREADS = 4
    assert [tasks.parallelism("email", n) for n in (1, 5, 19, 20, 35, 50)] == [1, 1, 1, 2, 3, 4]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.parallelism("email", 50) == 1
