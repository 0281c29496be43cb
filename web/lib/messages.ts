import { ApiError } from './api.js';
import { won } from './format.js';

/**
 * A clear Korean sentence for every error the API can answer, by its `code` (src/http/errors.ts).
 * Validation errors name the field; that becomes advice about the field.
 */
export const ERROR_MESSAGES: Record<string, string> = {
  validation_error: '입력값이 올바르지 않습니다. 입력한 내용을 확인해 주세요.',
  invalid_cursor: '페이지 정보가 올바르지 않습니다. 첫 페이지부터 다시 조회해 주세요.',
  invalid_json: '요청을 처리하지 못했습니다. 페이지를 새로고침한 뒤 다시 시도해 주세요.',
  unauthorized: '로그인 정보가 만료되었거나 올바르지 않습니다. 처음 화면에서 다시 접속해 주세요.',
  forbidden: '이 작업을 할 권한이 없습니다.',
  not_found: '요청한 기능을 찾을 수 없습니다. 페이지를 새로고침해 주세요.',
  user_not_found: '등록되지 않은 사용자입니다. 고객센터에 문의해 주세요.',
  order_not_found: '주문을 찾을 수 없습니다. 주문번호를 확인해 주세요.',
  user_exists: '이미 존재하는 사용자 이름입니다.',
  ambiguous_match:
    '같은 입금자명과 금액으로 대기 중인 다른 입금 요청이 있습니다. 금액을 조금 바꾸거나(예: 10원 더하기) 입금자명을 바꿔 주세요.',
  too_many_pending:
    '대기 중인 입금 요청이 너무 많습니다. 기존 요청을 입금하거나 취소한 뒤 다시 시도해 주세요.',
  invalid_state: '이미 처리된 주문이라 이 작업을 할 수 없습니다. 목록을 새로고침해 주세요.',
  idempotency_in_progress: '같은 요청을 처리하고 있습니다. 잠시 후 결과를 확인해 주세요.',
  idempotency_key_reused:
    '이전 요청과 내용이 달라 처리하지 않았습니다. 페이지를 새로고침한 뒤 다시 시도해 주세요.',
  bad_request: '요청 형식이 올바르지 않습니다. 페이지를 새로고침한 뒤 다시 시도해 주세요.',
  request_timeout: '요청 시간이 초과되었습니다. 다시 시도해 주세요.',
  uri_too_long: '요청 주소가 너무 깁니다. 검색 조건을 줄여 주세요.',
  payload_too_large: '입력한 내용이 너무 깁니다. 줄여서 다시 시도해 주세요.',
  unsupported_media_type: '요청 형식이 올바르지 않습니다. 페이지를 새로고침해 주세요.',
  headers_too_large: '요청이 너무 큽니다. 페이지를 새로고침한 뒤 다시 접속해 주세요.',
  rate_limited: '요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.',
  internal_error: '서버에 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.',
  payaction_error: '입금 확인 서비스(페이액션)와 통신하지 못했습니다. 잠시 후 다시 시도해 주세요.',
  database_unavailable: '일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요.',
  network: '서버에 연결할 수 없습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요.',
};

const FIELD_MESSAGES: Record<string, string> = {
  billing_name: '입금자명은 한글·영문·숫자·공백과 ( ) . - 만 써서 20자까지 입력해 주세요.',
  username: '사용자 이름은 영문·숫자와 _ . - @ 만 써서 64자까지 입력해 주세요.',
  wallet_checksum:
    'TRON 주소의 체크섬이 맞지 않습니다. 한 글자만 틀려도 돈을 잃을 수 있으니 주소를 다시 확인해 주세요.',
  wallet_format:
    '지갑 주소 형식이 올바르지 않습니다. TRON(T로 시작하는 34자) 또는 EVM(0x + 16진수 40자) 주소를 입력해 주세요.',
  wallet_address: '지갑 주소를 확인해 주세요 (64자 이내).',
  reason: '사유를 입력해 주세요.',
  memo: '메모는 500자까지 입력할 수 있습니다.',
  status: '주문 상태 값이 올바르지 않습니다.',
  from: '시작일 형식이 올바르지 않습니다 (YYYY-MM-DD).',
  to: '종료일 형식이 올바르지 않습니다 (YYYY-MM-DD).',
  limit: '한 번에 조회할 수 있는 개수를 넘었습니다.',
  order_number: '주문번호 형식이 올바르지 않습니다.',
};

export interface MessageContext {
  /** On the admin dashboard a 401 means the admin token, not the user's link. */
  admin?: boolean;
  minAmount?: number;
  maxAmount?: number;
}

function validationMessage(detail: string, context: MessageContext): string {
  const field = detail.split(/[ .(]/)[0] ?? '';
  if (field === 'amount') {
    const range =
      context.minAmount !== undefined && context.maxAmount !== undefined
        ? `${won(context.minAmount)}부터 ${won(context.maxAmount)}까지 `
        : '';
    return `입금액은 ${range}원 단위 숫자로 입력해 주세요.`;
  }
  return FIELD_MESSAGES[detail] ?? FIELD_MESSAGES[field] ?? (ERROR_MESSAGES.validation_error as string);
}

/** The sentence to show for anything an API call threw. */
export function messageFor(err: unknown, context: MessageContext = {}): string {
  if (!(err instanceof ApiError)) return ERROR_MESSAGES.internal_error as string;
  if (err.code === 'validation_error') return validationMessage(err.detail, context);
  if (err.code === 'unauthorized' && context.admin)
    return '관리자 토큰이 올바르지 않습니다. 다시 로그인해 주세요.';
  if (err.code === 'forbidden' && context.admin)
    return '관리자 토큰으로만 할 수 있는 작업입니다. 다시 로그인해 주세요.';
  if (err.code === 'invalid_state' && err.detail === 'already_matched') return '이미 매칭된 주문입니다.';
  if (err.code === 'rate_limited' && err.retryAfterS)
    return `요청이 너무 많습니다. ${err.retryAfterS}초 후 다시 시도해 주세요.`;
  return ERROR_MESSAGES[err.code] ?? (err.serverMsg || (ERROR_MESSAGES.internal_error as string));
}
