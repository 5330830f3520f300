"""A real Celery producer (Debian's Celery 5.2, kombu's SQS transport) that sends tasks to one local SQS queue.

Usage: /usr/bin/python3 celery_producer.py <config.json>

Besides bosun_celery.py's fields, the configuration has:
  sends  [{"task": name, "args": [...], "kwargs": {...}, "delay": true | "countdown": s | "eta": ISO-8601}]:
         with "delay", task.delay(*args, **kwargs); otherwise task.apply_async(args, kwargs[, countdown][, eta])
Each task name is registered here as a task of this app (a producer imports its tasks), so the calls are the real
Task.delay and Task.apply_async. Prints a JSON list with the id of each task sent, in order.
"""
import datetime
import json
import sys

from bosun_celery import make_app, read_config

config = read_config(sys.argv[1])
app = make_app(config)
tasks = {}


def task_named(name):
    if name not in tasks:
        def producer_side(*args, **kwargs):
            raise RuntimeError('runs on the worker, not in the producer')
        producer_side.__name__ = name.rsplit('.', 1)[-1]
        tasks[name] = app.task(name=name)(producer_side)
    return tasks[name]


ids = []
for send in config['sends']:
    task = task_named(send['task'])
    args = send.get('args', [])
    kwargs = send.get('kwargs', {})
    if send.get('delay'):
        if 'countdown' in send or 'eta' in send:
            sys.exit('a send with "delay" takes no countdown or eta (delay() has neither)')
        result = task.delay(*args, **kwargs)
    else:
        options = {}
        if 'countdown' in send:
            options['countdown'] = send['countdown']
        if 'eta' in send:
            options['eta'] = datetime.datetime.fromisoformat(send['eta'].replace('Z', '+00:00'))
        result = task.apply_async(args, kwargs, **options)
    ids.append(result.id)
print(json.dumps(ids))
