"""Makes SQS calls with the real botocore (Debian's python3-boto3) and prints what each returned, for the jest tests.

Reads one JSON document on stdin: {"endpoint", "region", "accessKeyId", "calls": [{"operation", "params"}]}, where an
operation is a boto3 client method (send_message, receive_message, ...). A value {"$bytes": "<base64>"} in params is
bytes. Prints a JSON list, one entry per call: {"ok": true, "result": ...} (ResponseMetadata removed, bytes as
{"$bytes": ...}) or {"ok": false, "code", "status", "message", "type"} for a ClientError. Calls run in order; a call
may use "$N.path.to.value" as a string param to take a value from the result of call N (for receipt handles).
"""
import base64
import json
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError


def decode(value):
    if isinstance(value, dict):
        if set(value) == {'$bytes'}:
            return base64.b64decode(value['$bytes'])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def encode(value):
    if isinstance(value, (bytes, bytearray)):
        return {'$bytes': base64.b64encode(value).decode('ascii')}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items() if key != 'ResponseMetadata'}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def resolve(value, outcomes):
    if isinstance(value, str) and value.startswith('$') and value[1:2].isdigit():
        index, *path = value[1:].split('.')
        node = outcomes[int(index)]['result']
        for step in path:
            node = node[int(step)] if isinstance(node, list) else node[step]
        return node
    if isinstance(value, dict):
        return {key: resolve(item, outcomes) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, outcomes) for item in value]
    return value


def main():
    request = json.load(sys.stdin)
    client = boto3.client(
        'sqs',
        endpoint_url=request['endpoint'],
        region_name=request['region'],
        aws_access_key_id=request['accessKeyId'],
        aws_secret_access_key='local',
        config=botocore.config.Config(retries={'max_attempts': 1}),
    )
    outcomes = []
    for call in request['calls']:
        params = decode(resolve(call.get('params', {}), outcomes))
        try:
            result = getattr(client, call['operation'])(**params)
            outcomes.append({'ok': True, 'result': encode(result)})
        except ClientError as error:
            details = error.response.get('Error', {})
            outcomes.append({
                'ok': False,
                'code': details.get('Code'),
                'type': details.get('Type'),
                'message': details.get('Message'),
                'status': error.response.get('ResponseMetadata', {}).get('HTTPStatusCode'),
            })
    json.dump(outcomes, sys.stdout)


main()
