"""A real Celery worker (Debian's Celery 5.2, kombu's SQS transport) on one local SQS queue, for Bosun's tests.

Usage: /usr/bin/python3 celery_worker.py <config.json>

Besides bosun_celery.py's fields, the configuration has:
  runsFile  JSON-lines file; every task run appends {task, id, args, kwargs, retries, eta, at, hostname}
  tasks     {"<celery task name>": "<kind>"}: which behaviour each registered task name has. Kinds:
            add    returns x + y (args, or kwargs x and y / a and b), like the samples' app.add(x, y)
            greet  returns "<greeting>, <name>!" (args or kwargs name, greeting='hello'), like app.greet
            flaky  retries itself (countdown 1 s) until it has run `times` times (kwargs, default 2), then returns
            fail   raises RuntimeError("failed on purpose") (no retry)
Prints "BOSUN_CELERY_WORKER_READY" on stdout once the worker consumes.
"""
import datetime
import json
import os
import socket
import sys
import threading

from celery.signals import worker_ready

from bosun_celery import make_app, read_config

config = read_config(sys.argv[1])
app = make_app(config)
runs_lock = threading.Lock()


def record(task, args, kwargs):
    request = task.request
    run = {
        'task': task.name,
        'id': request.id,
        'args': list(args),
        'kwargs': kwargs,
        'retries': request.retries,
        'eta': request.eta,
        'at': datetime.datetime.now(datetime.timezone.utc).isoformat(),
        'hostname': request.hostname,
    }
    with runs_lock, open(config['runsFile'], 'a', encoding='utf-8') as file:
        file.write(json.dumps(run, default=str) + '\n')


def add(task, *args, **kwargs):
    values = list(args) + [kwargs[key] for key in ('x', 'y', 'a', 'b') if key in kwargs]
    return values[0] + values[1]


def greet(task, *args, **kwargs):
    name = args[0] if args else kwargs['name']
    greeting = args[1] if len(args) > 1 else kwargs.get('greeting', 'hello')
    return f'{greeting}, {name}!'


def flaky(task, *args, **kwargs):
    times = int(kwargs.get('times', 2))
    if task.request.retries + 1 < times:
        raise task.retry(countdown=1, max_retries=times)
    return task.request.retries


def fail(task, *args, **kwargs):
    raise RuntimeError('failed on purpose')


KINDS = {'add': add, 'greet': greet, 'flaky': flaky, 'fail': fail}


def register(name, kind):
    behaviour = KINDS[kind]

    def run(self, *args, **kwargs):
        record(self, args, kwargs)
        return behaviour(self, *args, **kwargs)

    run.__name__ = kind
    app.task(name=name, bind=True)(run)


for task_name, task_kind in config['tasks'].items():
    if task_kind not in KINDS:
        sys.exit(f'unknown task kind {task_kind!r} for {task_name!r}; kinds: {", ".join(sorted(KINDS))}')
    register(task_name, task_kind)


@worker_ready.connect
def announce_ready(**_):
    print('BOSUN_CELERY_WORKER_READY', flush=True)


if __name__ == '__main__':
    app.worker_main([
        'worker',
        '--pool=solo',
        '--concurrency=1',
        '--without-heartbeat',
        '--without-gossip',
        '--without-mingle',
        '--loglevel=INFO',
        f'--hostname=bosun-test-{os.getpid()}@{socket.gethostname()}',
        '-Q', config['queueName'],
    ])
