import { Controller, Injectable } from '@nestjs/common';
import { EventPattern as OnEvent, Payload } from '@nestjs/microservices';
import { Observable, Subject } from 'rxjs';
import { EventPattern, TaskProgressEvent } from '@app/contracts';

/** Progress broadcasts as this gateway replica hears them, for its own live clients. */
@Injectable()
export class ProgressFeed {
  private readonly subject = new Subject<TaskProgressEvent>();

  get events(): Observable<TaskProgressEvent> {
    return this.subject.asObservable();
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
