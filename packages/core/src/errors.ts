/** A plugin (or listener) threw inside a hook; `cause` holds the original error. */
export class PluginError extends Error {
  override name = 'PluginError';
  constructor(
    readonly plugin: string,
    readonly hook: string,
    cause: unknown,
  ) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`${plugin.startsWith('listener of') ? plugin : `plugin "${plugin}"`} threw in ${hook}: ${msg}`, { cause });
  }
}

/** The loss became NaN or ±Inf; training stopped before the bad gradient reached the parameters. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    readonly value: number,
    readonly epoch: number,
    readonly step: number,
    readonly batchIndex: number,
    readonly term: string,
    /** Where the loss lived when it was found: on a device it is read back every `metricsEvery` steps, after the steps in between ran. */
    device = 'cpu',
  ) {
    const stopped =
      device === 'cpu'
        ? 'training stopped before the optimizer step, so the parameters are those of the previous step. '
        : `${device} reads the loss back every metricsEvery steps, so the steps up to that read ran; the optimizer there updates nothing from the first non-finite gradient on. `;
    super(
      `loss${term === 'loss' ? '' : ` term "${term}"`} is ${value} at epoch ${epoch}, step ${step} (batch ${batchIndex} of the epoch); ` +
        stopped +
        'Try a lower learning rate, gradient clipping, or check the inputs for NaN/Inf.',
    );
  }
}

/** A gradient held NaN or ±Inf; the optimizer refused the step and left every parameter unchanged. */
export class NonFiniteGradientError extends Error {
  override name = 'NonFiniteGradientError';
  constructor(
    readonly optimizer: string,
    readonly param: string,
    readonly step: number,
    readonly index: number,
    readonly value: number,
  ) {
    super(`${optimizer}: the gradient of "${param}" is ${value} at element ${index} in step ${step}; no parameter was updated`);
  }

  /** @internal adds where in a fit the step was (the Trainer calls it), and what usually helps */
  during(epoch: number, batchIndex: number): this {
    this.message += ` (fit: epoch ${epoch}, batch ${batchIndex} of the epoch; exploding gradients: lower the learning rate or add gradientClipping)`;
    return this;
  }
}

/** Invalid trainer, optimizer or data configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A resume was refused: the state does not fit the model, the optimizer, the plugins or the
 * trainer's seed. Nothing was changed. `source` is where the state was read from, when known.
 */
export class ResumeError extends ConfigError {
  override name = 'ResumeError';
  constructor(
    message: string,
    readonly source: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Cleanup hooks (`onException`, `teardown`) threw. Every plugin's cleanup still ran; `errors`
 * holds the error that stopped the run (when one did, also as `cause`) followed by a
 * {@link PluginError} for each cleanup hook that threw.
 */
export class CleanupError extends AggregateError {
  override name = 'CleanupError';
  constructor(
    readonly method: string,
    readonly failure: { error: unknown } | null,
    readonly cleanup: readonly PluginError[],
  ) {
    const list = cleanup.map((e) => e.message).join('; ');
    const hooks = `${cleanup.length} cleanup hook${cleanup.length === 1 ? '' : 's'} failed`;
    const head = failure === null ? `${method}: ${hooks}` : `${method} failed (${failure.error instanceof Error ? failure.error.message : String(failure.error)}) and ${hooks}`;
    super(failure === null ? [...cleanup] : [failure.error, ...cleanup], `${head}: ${list}`, failure === null ? undefined : { cause: failure.error });
  }
}
