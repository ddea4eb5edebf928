import { LoginInput, LogoutInput, RefreshInput, RegisterInput, SwitchWorkspaceInput } from '@acme-examples/crm-contracts';
import { createZodDto } from 'nestjs-zod';

// Request bodies: the contracts' schemas as classes, so the global ZodValidationPipe validates
// them and the OpenAPI document shows them.
export class RegisterDto extends createZodDto(RegisterInput) {}
export class LoginDto extends createZodDto(LoginInput) {}
export class RefreshDto extends createZodDto(RefreshInput) {}
export class LogoutDto extends createZodDto(LogoutInput) {}
export class SwitchWorkspaceDto extends createZodDto(SwitchWorkspaceInput) {}
