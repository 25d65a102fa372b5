// Errors a board conversation can end with. Each names the port and says what to do next.
import { BitbenchError } from '../../shared/errors';
import { boardErrorName, BoardErrorCode, commandName } from '../../shared/protocol';

/** The board answered with an ERROR response. */
export class BoardError extends BitbenchError {
  readonly boardCode: number;
  readonly boardCodeName: string;
  constructor(
    readonly port: string,
    readonly command: number,
    code: number,
    boardMessage: string,
  ) {
    const name = boardErrorName(code);
    super(
      'device',
      `${port}: ${commandName(command)} failed with ${name}${boardMessage ? `: ${boardMessage}` : ''}`,
      {
        boardCode: code,
        boardCodeName: name,
        boardMessage,
      },
    );
    this.name = 'BoardError';
    this.boardCode = code;
    this.boardCodeName = name;
  }

  is(name: keyof typeof BoardErrorCode): boolean {
    return this.boardCode === BoardErrorCode[name];
  }
}

/** No response after every retry. */
export class BoardTimeoutError extends BitbenchError {
  constructor(
    readonly port: string,
    readonly command: number,
    tries: number,
    timeoutMs: number,
  ) {
    super(
      'timeout',
      `${port}: no response to ${commandName(command)} after ${tries} tries of ${timeoutMs} ms. ` +
        'Check that the board runs the bitbench firmware and is not busy, then reconnect it.',
    );
    this.name = 'BoardTimeoutError';
  }
}

/** The port closed or vanished while a request was outstanding. */
export class BoardClosedError extends BitbenchError {
  constructor(
    readonly port: string,
    reason?: string,
  ) {
    super(
      'device',
      `${port}: the board connection closed${reason ? ` (${reason})` : ''}. Reconnect the board and retry.`,
    );
    this.name = 'BoardClosedError';
  }
}
