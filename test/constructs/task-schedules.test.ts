import { Duration } from 'aws-cdk-lib';
import { ConstructPropsInvalidError, TaskSchedules } from '../../lib/constructs';
import { testStack, thrownBy } from './helpers';

describe('TaskSchedules', () => {
  const props = { groupName: 'bosun-t-periodic', etaGroupName: 'bosun-t-eta', etaQueues: [] };

  it('rejects retries Scheduler does not allow, naming the prop, the range and the value', () => {
    const error = thrownBy(() => new TaskSchedules(testStack(), 'Schedules', { ...props, retryAttempts: 200 }));
    expect(error).toBeInstanceOf(ConstructPropsInvalidError);
    expect(error.message).toBe('Test/Schedules: retryAttempts must be between 0 and 185 (given 200)');
  });

  it('rejects a maximum event age outside 60 s – 24 h', () => {
    expect(thrownBy(() => new TaskSchedules(testStack(), 'Schedules', { ...props, maxEventAge: Duration.hours(25) })).message).toBe(
      'Test/Schedules: maxEventAge must be between 60 and 86400 s (given 90000 s)',
    );
  });
});
