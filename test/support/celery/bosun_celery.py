"""The Celery app of Bosun's real-Celery tests: one local SQS queue, configured as a Celery user would for the local
platform (kombu's SQS transport, predefined queue, short polls). Shared by celery_worker.py and celery_producer.py.

The configuration is one JSON document (the TypeScript harness writes it):
  sqsEndpoint   the local platform's SQS endpoint, http://127.0.0.1:<port> (the broker URL's host and port)
  region        its region
  accessKeyId   the key to sign with (the operator's, or a role's behind the IAM gateway)
  queueName     the Celery queue (task_default_queue) and SQS queue name
  queueUrl      the queue's URL under the endpoint's host (kombu posts its receives to it)
  visibilityTimeoutSeconds  the queue's visibility timeout (kombu's visibility_timeout)
"""
import json
from urllib.parse import quote, urlparse

from celery import Celery


def read_config(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def broker_url(config):
    """sqs://KEY:SECRET@HOST:PORT/ — kombu builds endpoint_url http(s)://HOST:PORT from it (http with is_secure False)."""
    endpoint = urlparse(config['sqsEndpoint'])
    key = quote(config['accessKeyId'], safe='')
    return f'sqs://{key}:local@{endpoint.hostname}:{endpoint.port}/'


def transport_options(config):
    return {
        'region': config['region'],
        'is_secure': False,
        'predefined_queues': {
            config['queueName']: {
                'url': config['queueUrl'],
                'access_key_id': config['accessKeyId'],
                'secret_access_key': 'local',
            },
        },
        'wait_time_seconds': 1,
        'polling_interval': 0.1,
        'visibility_timeout': config['visibilityTimeoutSeconds'],
    }


def make_app(config):
    app = Celery('bosun-celery-test', broker=broker_url(config))
    app.conf.update(
        broker_transport_options=transport_options(config),
        task_default_queue=config['queueName'],
        task_create_missing_queues=False,
        task_ignore_result=True,
        result_backend=None,
        task_serializer='json',
        accept_content=['json'],
        enable_utc=True,
        timezone='UTC',
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
    )
    return app
