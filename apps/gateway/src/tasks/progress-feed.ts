import { Controller, Injectable } from '@nestjs/common';
import { EventPattern as OnEvent, Payload } from '@nestjs/microservices';
import { filter, Observable, Subject } from 'rxjs';
import { EventPattern, TaskProgressEvent } from '@app/contracts';
import { BroadcastFollows } from '@app/pipeline';

/** Progress broadcasts as this gateway replica hears them, for its own live clients. */
@Injectable()
export class ProgressFeed {
  private readonly subject = new Subject<TaskProgressEvent>();

  constructor(private readonly follows: BroadcastFollows) {}

  /**
   * One task's progress broadcasts, heard while subscribed: the replica follows the task's channel
   * for as long as one of its clients watches the task, and hears no other task's progress.
   */
  of(taskId: string): Observable<TaskProgressEvent> {
    return new Observable<TaskProgressEvent>((subscriber) => {
      const unfollow = this.follows.follow(EventPattern.TASK_PROGRESS, taskId);
      const subscription = this.subject.pipe(filter((event) => event.taskId === taskId)).subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        unfollow();
      };
    });
  }

  publish(event: TaskProgressEvent): void {
    this.subject.next(event);
  }
}

@Controller()
export class ProgressListener {
  constructor(private readonly feed: ProgressFeed) {}

  @OnEvent(EventPattern.TASK_PROGRESS)
  onProgress(@Payload() event: TaskProgressEvent): void {
    this.feed.publish(event);
  }
}
