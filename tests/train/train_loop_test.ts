import assert from "node:assert/strict";
import * as path from "node:path";
import { type LoopOptions, trainLoop } from "../../lib/train/train_loop.ts";
import { fakeEvaluate, fakeLoopOptions, FakeStepper, makeData } from "./fake_stepper.ts";

const train = makeData(200, 1);
const evaluate = fakeEvaluate(makeData(100, 2), makeData(100, 3));
const opts: LoopOptions = fakeLoopOptions(60);

Deno.test("train loop: learns, evaluates every N steps and at the end, same seed same numbers", async () => {
  const a = await trainLoop(new FakeStepper(train, 0.05), evaluate, opts);
  assert.equal(a.status, "ok");
  assert.equal(a.steps, 60);
  assert.deepEqual(a.evals.map((e) => e.step), [20, 40, 60]);
  assert.equal(a.loss.length, 12);
  assert.ok(a.best!.select.accuracy > 0.85, `accuracy ${a.best!.select.accuracy}`);
  assert.ok(a.loss[a.loss.length - 1][1] < a.loss[0][1]);
  const b = await trainLoop(new FakeStepper(train, 0.05), evaluate, opts);
  assert.deepEqual(b.evals, a.evals);
  assert.deepEqual(b.loss, a.loss);
  const c = await trainLoop(new FakeStepper(train, 0.05), evaluate, { ...opts, seed: 12 });
  assert.notDeepEqual(c.loss, a.loss);
});

Deno.test("train loop: NaN loss ends the run as diverged with the step, no throw", async () => {
  const r = await trainLoop(new FakeStepper(train, 0.05, undefined, 33), evaluate, opts);
  assert.equal(r.status, "diverged");
  assert.equal(r.reason, "training loss is NaN at step 33");
  assert.equal(r.steps, 33);
  assert.deepEqual(r.evals.map((e) => e.step), [20]);
});

Deno.test("train loop: a crash after a checkpoint resumes there and ends with identical numbers", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "checkpoint.bin");
    const ref = await trainLoop(new FakeStepper(train, 0.05), evaluate, opts);
    await assert.rejects(
      trainLoop(new FakeStepper(train, 0.05, 37), evaluate, { ...opts, checkpointFile: file }),
      /simulated crash/,
    );
    const resumedStepper = new FakeStepper(train, 0.05);
    const r = await trainLoop(resumedStepper, evaluate, { ...opts, checkpointFile: file });
    assert.deepEqual(r.resumedFrom, [30]);
    assert.equal(resumedStepper.calls, 30);
    assert.deepEqual(r.evals, ref.evals);
    assert.deepEqual(r.loss, ref.loss);
    assert.deepEqual(r.best, ref.best);
    // a checkpoint of another run is ignored
    const other = await trainLoop(new FakeStepper(train, 0.05), evaluate, {
      ...opts,
      checkpointFile: file,
      runId: "another",
    });
    assert.deepEqual(other.resumedFrom, []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("train loop: bad settings are rejected naming the option", async () => {
  await assert.rejects(
    trainLoop(new FakeStepper(train, 0.05), evaluate, { ...opts, evalEvery: 0 }),
    /evalEvery must be a positive integer/,
  );
});

Deno.test("train loop: a stepper that keeps its state elsewhere is synced before every evaluation and checkpoint", async () => {
  /** Like a GPU stepper: getState throws after a step until sync() is awaited. */
  class DeviceStepper extends FakeStepper {
    onDevice = false;
    syncs: number[] = [];
    override async step(indices: Int32Array, step: number): Promise<number> {
      const l = await super.step(indices, step);
      this.onDevice = true;
      return l;
    }
    override getState() {
      if (this.onDevice) throw new Error("state on the device");
      return super.getState();
    }
    async sync(): Promise<void> {
      await Promise.resolve();
      this.syncs.push(this.calls);
      this.onDevice = false;
    }
  }
  const dir = Deno.makeTempDirSync();
  try {
    const file = path.join(dir, "checkpoint.bin");
    const ref = await trainLoop(new FakeStepper(train, 0.05), evaluate, opts);
    const s = new DeviceStepper(train, 0.05);
    const r = await trainLoop(s, evaluate, { ...opts, checkpointFile: file });
    assert.deepEqual(r.evals, ref.evals);
    assert.deepEqual(r.loss, ref.loss);
    // evaluations at 20, 40, 60; checkpoints every 10 steps before the last
    assert.deepEqual(s.syncs, [10, 20, 20, 30, 40, 40, 50, 60]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("train loop: a run started part-way (step and data order of an earlier run) continues it exactly", async () => {
  const straight = new FakeStepper(train, 0.05);
  const ref = await trainLoop(straight, evaluate, { ...opts, checkpointEvery: 0 });
  const first = new FakeStepper(train, 0.05);
  const half = await trainLoop(first, evaluate, { ...opts, steps: 30, checkpointEvery: 0 });
  const second = new FakeStepper(train, 0.05);
  second.setState(first.getState());
  const rest = await trainLoop(second, evaluate, {
    ...opts,
    checkpointEvery: 0,
    start: { step: 30, order: half.order },
  });
  assert.equal(second.calls, 30);
  assert.equal(rest.steps, 60);
  assert.deepEqual(second.getState(), straight.getState());
  assert.deepEqual(rest.order, ref.order);
  // Nothing left to train: one evaluation at the start step.
  const none = await trainLoop(new FakeStepper(train, 0.05), evaluate, {
    ...opts,
    steps: 30,
    start: { step: 30, order: half.order },
  });
  assert.equal(none.steps, 30);
  assert.deepEqual(none.evals.map((e) => e.step), [30]);
  await assert.rejects(
    trainLoop(new FakeStepper(train, 0.05), evaluate, {
      ...opts,
      steps: 20,
      start: { step: 30, order: half.order },
    }),
    RangeError,
  );
});
