import type { LossContext, Plugin } from '@trainkit/core';
import { Module } from '@trainkit/nn';
import { Tensor, ValueError, add, crossEntropy, div, formatShape, mul, noGrad, sameDeviceAs } from '@trainkit/tensor';
import { TeacherCache } from './distillCache';

/** Options of {@link distill}. */
export interface DistillOptions {
  /** The trained teacher: any model, or an {@link Ensemble} (its averaged probabilities; see {@link distill}). */
  teacher: Module;
  /** Temperature T > 0 that softens both distributions (Hinton et al. used 1–20; 2–4 is common). */
  temperature: number;
  /** Weight α ∈ [0, 1] of the distillation term; the hard-label (data) loss gets 1 − α. */
  alpha: number;
  /**
   * Temperature τ > 0 of the teacher alone, applied before T: the soft target becomes
   * softmax(t / (τ·T)) while the student's side stays softmax(s/T). Default 1 (no change).
   * Temperature scaling (Guo et al. 2017): a τ fitted to minimise the teacher's NLL on held-out
   * data calibrates it, and τ < 1 sharpens an under-confident teacher — an ensemble that
   * averages probabilities usually is one — so the student does not learn its under-confidence.
   */
  teacherTemperature?: number;
  /**
   * Keep the teacher's logits per example and reuse them in later epochs instead of running the
   * teacher again. Needs batches that carry their dataset indices (`batch.index`, e.g. from a
   * dataset wrapped with {@link withIndex}) and the same input for an index every epoch (no
   * augmentation, or augmentation replayed exactly); a changed input is an error. Default false.
   */
  cache?: boolean;
}

/** The distillation plugin: a {@link Plugin} that also says how many examples' teacher logits it has cached. */
export interface DistillPlugin extends Plugin {
  /** Examples whose teacher logits are cached (0 without `cache`). */
  readonly cached: number;
}

/** A temperature must be a finite number > 0: T ≤ 0 or NaN gives NaN or a silently wrong loss. */
function checkTemperature(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ValueError(`${where}: ${name} must be a finite number > 0, got ${String(v)}`);
}

function checkOptions(o: DistillOptions): void {
  if (o === null || typeof o !== 'object' || !(o.teacher instanceof Module)) throw new ValueError('distill: `teacher` must be a trained Module (a model or an Ensemble)');
  checkTemperature('distill', 'temperature', o.temperature);
  const a = o.alpha;
  if (typeof a !== 'number' || !(a >= 0 && a <= 1)) throw new ValueError(`distill: alpha must be a number in [0, 1], got ${String(a)}`);
  checkTemperature('distill', 'teacherTemperature', o.teacherTemperature ?? 1);
  if (o.cache !== undefined && typeof o.cache !== 'boolean') throw new ValueError(`distill: cache must be true or false, got ${JSON.stringify(o.cache)}`);
}

/**
 * Refuses teacher logits that give no distribution: NaN or +∞ (a diverged teacher; softmax would
 * be NaN and the student's loss blamed), or a row with every logit −∞. A −∞ logit alone is a
 * masked class of probability 0 and is fine.
 */
function checkTeacherLogits(t: Tensor, where: string): void {
  const [n, c] = t.shape;
  for (let r = 0; r < n; r++) {
    let finite = false;
    for (let k = 0; k < c; k++) {
      const v = t.data[r * c + k];
      if (v !== v || v === Infinity) throw new ValueError(`${where}: the teacher's logit of example ${r}, class ${k} is ${v}; a teacher with non-finite outputs has diverged or was fed bad input`);
      if (v > -Infinity) finite = true;
    }
    if (!finite) throw new ValueError(`${where}: every teacher logit of example ${r} is -Infinity, so its soft target is no distribution`);
  }
}

/**
 * The distillation loss T² · KL(softmax(t/T) ‖ softmax(s/T)), averaged over the batch — in
 * PyTorch `F.kl_div(F.log_softmax(s/T, 1), F.softmax(t/T, 1), reduction='batchmean') * T*T`.
 * `teacher` is a constant; the gradient with respect to the student logits `s` [N, C] is
 * T · (softmax(s/T) − softmax(t/T)) / N, so the T² keeps its size comparable to the hard-label
 * term's as T changes (Hinton et al. 2015, section 2). With a `teacherTemperature` τ the target is
 * softmax(t/(τ·T)) instead (the teacher logits divided by τ in float64; τ = 1 is exactly the above).
 *
 * @throws ValueError when the shapes are not the same [N, C] with N ≥ 1, a temperature is not a
 *   finite number > 0, or a teacher logit is NaN or +∞ (or a row's are all −∞)
 */
export function distillationLoss(student: Tensor, teacher: Tensor, temperature: number, teacherTemperature = 1): Tensor {
  if (student.rank !== 2 || teacher.rank !== 2) throw new ValueError(`distillationLoss: student and teacher logits must be [examples, classes], got ${formatShape(student.shape)} and ${formatShape(teacher.shape)}`);
  const [n, c] = teacher.shape;
  if (student.shape[1] !== c) throw new ValueError(`distillationLoss: the teacher logits have ${c} classes but the student's ${student.shape[1]}`);
  if (student.shape[0] !== n) throw new ValueError(`distillationLoss: the teacher has ${n} examples but the student ${student.shape[0]}`);
  if (n === 0) throw new ValueError(`distillationLoss: no examples (the logits are ${formatShape(teacher.shape)})`);
  checkTemperature('distillationLoss', 'temperature', temperature);
  checkTemperature('distillationLoss', 'teacherTemperature', teacherTemperature);
  checkTeacherLogits(teacher, 'distillationLoss');
  const tT = temperature * teacherTemperature; // the teacher's total temperature
  const target = new Float32Array(n * c);
  let entropy = 0; // Σ over rows of −Σ p log p of the softened teacher, in float64
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, teacher.data[r * c + k] / tT);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(teacher.data[r * c + k] / tT - m);
    const lse = m + Math.log(s);
    for (let k = 0; k < c; k++) {
      const logp = teacher.data[r * c + k] / tT - lse;
      target[r * c + k] = Math.exp(logp);
      if (logp > -Infinity) entropy -= Math.exp(logp) * logp; // 0·log 0 = 0 (a −∞ logit: a masked class)
    }
  }
  // KL(p ‖ q) = cross-entropy(p, q) − H(p); the entropy is a constant of the student
  const kl = add(crossEntropy(div(student, temperature), sameDeviceAs(new Tensor(target, [n, c]), student)), -entropy / n); // a student on a device gets the target there
  return mul(kl, temperature * temperature);
}

/** The teacher's logits for the batch, without gradients, checked against the student's output. */
function teacherLogits(teacher: Module, ctx: LossContext): Tensor {
  const out = noGrad(() => teacher.call(ctx.batch.x));
  if (out.rank !== 2) throw new ValueError(`distill: the teacher must output [examples, classes] logits, got ${formatShape(out.shape)}`);
  if (ctx.output.rank !== 2) throw new ValueError(`distill: the student must output [examples, classes] logits, got ${formatShape(ctx.output.shape)}`);
  if (out.shape[1] !== ctx.output.shape[1]) {
    throw new ValueError(`distill: the teacher outputs ${out.shape[1]} classes but the student outputs ${ctx.output.shape[1]}; both must predict the same classes`);
  }
  checkTeacherLogits(out, 'distill'); // before the cache keeps them
  return out;
}

/** The teacher must be a model of its own: not the student, not inside it, not containing it. */
function checkSeparate(teacher: Module, student: Module): void {
  if (student === teacher) throw new ValueError('distill: the teacher is the student model itself; pass a separately trained teacher');
  const inTeacher = teacher.namedModules().find(([, m]) => m === student);
  if (inTeacher !== undefined) {
    throw new ValueError(`distill: the student is part of the teacher (at "${inTeacher[0]}", e.g. a member of the teacher Ensemble), so the targets would move as the student trains; pass a teacher that does not contain the student`);
  }
  const inStudent = student.namedModules().find(([, m]) => m === teacher);
  if (inStudent !== undefined) {
    throw new ValueError(`distill: the teacher is part of the student (at "${inStudent[0]}"), so training the student would train the teacher too and switch it to training mode; pass a teacher that is not inside the student`);
  }
}

/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015): trains the student to match a teacher's
 * softened predictions as well as the labels. In `onLoss` it turns the loss into
 *
 *     loss = (1 − α) · L_data + α · T² · KL(softmax(t/T) ‖ softmax(s/T))
 *
 * where L_data is the trainer's data loss (cross-entropy with the hard labels by default), s the
 * student's logits and t the teacher's, and the KL is averaged over the batch
 * (see {@link distillationLoss}). It does so with one loss term named `distill`, equal to
 * α · (T²·KL − L_data), so the logged `loss` is the total above; the unweighted T²·KL is logged
 * as `distillKl`.
 *
 * The teacher runs in eval mode without gradients (its training flags are restored at teardown),
 * on the CPU (also when the student trains on a device: its soft targets are uploaded there),
 * on the batch the student sees — after augmentation, which plugins listed before this one apply.
 * An {@link Ensemble} teacher (method `'probs'`) outputs log p̄, the log of its members' mean
 * probabilities, and serves as the logits t: the soft target is then p̄^(1/T), renormalized — the
 * ensemble's own distribution softened — rather than the mean of the members' softened
 * distributions (the two agree at T = 1). An Ensemble with method `'logits'` gives instead the
 * mean of the members' logits — the log of their normalised geometric mean, a sharper target.
 * `teacherTemperature` τ calibrates either (see {@link DistillOptions.teacherTemperature}); the
 * cache keeps the teacher's raw logits and τ is applied after it. The teacher is not saved in checkpoints and the
 * plugin keeps no other state, so a resumed run (with the same teacher) continues exactly; a
 * cache is rebuilt as the run goes.
 *
 * @throws ValueError for a missing teacher, T ≤ 0, α outside [0, 1], τ ≤ 0; at setup, when the teacher is,
 *   contains or is inside the student; at the first batch, when the teacher's class count differs
 *   from the student's (the error names both) or its logits are NaN or +∞
 * @see https://arxiv.org/abs/1503.02531 (Distilling the Knowledge in a Neural Network)
 * @example
 * const teacher = new Ensemble(members);
 * new Trainer({ optimizer: adam(), plugins: [distill({ teacher, temperature: 4, alpha: 0.9 })] });
 */
export function distill(options: DistillOptions): DistillPlugin {
  checkOptions(options);
  const { teacher, temperature, alpha } = options;
  const teacherTemperature = options.teacherTemperature ?? 1;
  const cache = options.cache === true ? new TeacherCache() : null;
  let modes: Array<readonly [Module, boolean]> = [];
  return {
    name: 'distill',
    get cached() {
      return cache?.size ?? 0;
    },
    setup(ctx) {
      checkSeparate(teacher, ctx.model);
      modes = teacher.namedModules().map(([, m]) => [m, m.training] as const);
      teacher.eval();
    },
    onLoss(ctx) {
      const where = `batch ${ctx.batchIndex} of epoch ${ctx.epoch}`;
      const t = cache === null ? teacherLogits(teacher, ctx) : cache.logits(ctx.batch, where, () => teacherLogits(teacher, ctx));
      const kd = distillationLoss(ctx.output, t, temperature, teacherTemperature);
      ctx.log('distillKl', kd); // on a device: read back with the loss
      if (alpha > 0) ctx.addLoss('distill', mul(add(kd, mul(ctx.dataLoss, -1)), alpha));
    },
    teardown() {
      for (const [m, training] of modes) m.training = training;
      modes = [];
    },
  };
}
