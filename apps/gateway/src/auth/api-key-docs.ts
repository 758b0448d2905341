import { ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '@app/contracts';

/** The 401 of every API controller, in the OpenAPI document. */
export const ApiKeyRequired = (): ClassDecorator & MethodDecorator =>
  ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'API keys are configured and none, or an unknown one, was presented',
  });
