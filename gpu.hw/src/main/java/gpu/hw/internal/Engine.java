package gpu.hw.internal;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

import gpu.hw.EngineStatus;
import gpu.hw.EngineType;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.BufferSubmission;
import gpu.hw.CommandPackets;
import gpu.hw.Submission;
import iommu.hw.Translation;

/**
 * One engine: a queue of submissions executed in order on the engine's own thread. A fault halts the
 * engine until {@link #reset()}; a reset drops what is queued and stops the submission in execution
 * at its next chunk, step or row ({@link CommandExecutor}), waiting for that at most
 * {@link #RESET_MILLIS}, well inside the TdrDdiDelay its driver's ResetEngine is given.
 */
final class Engine implements Runnable {
    /** How long a reset waits for the submission in execution to stop before it reports failure. */
    static final long RESET_MILLIS = 1000;
    private final EngineType type;
    private final CommandExecutor executor;
    private final Consumer<Interrupt> interrupts;
    /** A submission in the queue: its commands, or (when {@code commands} is null) a buffer to fetch first. */
    private record Job(int pasid, long contextId, long fenceValue, List<GpuCommand> commands, long bufferVa, int bytes) {
    }

    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Thread thread;
    private EngineStatus status = EngineStatus.IDLE;
    /** Written under this engine's monitor; volatile so that the executor looks at them every row without it. */
    private volatile boolean abort;
    private volatile boolean stopped;
    /** Chunks, copy steps and rows executed: written by the engine's thread alone, read by anyone. */
    private volatile long progress;
    long completed;
    long faulted;
    long dropped;
    long resets;

    Engine(EngineType type, int instance, CommandExecutor executor, Consumer<Interrupt> interrupts) {
        this.type = type;
        this.executor = executor;
        this.interrupts = interrupts;
        this.thread = new Thread(this, "gpu-engine-" + type.name().toLowerCase(java.util.Locale.ROOT) + "-" + instance);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void submit(Submission s) {
        queue(new Job(s.pasid(), s.contextId(), s.fenceValue(), s.commands(), 0, 0));
    }

    void submit(BufferSubmission s) {
        queue(new Job(s.pasid(), s.contextId(), s.fenceValue(), null, s.bufferVa(), s.bytes()));
    }

    private synchronized void queue(Job job) {
        if (stopped) {
            throw new IllegalStateException("engine " + type + " is stopped");
        }
        queue.addLast(job);
        notifyAll();
    }

    synchronized EngineStatus status() {
        return status;
    }

    /**
     * Drops what is queued and stops the submission in execution; returns how many were dropped.
     *
     * @throws IllegalStateException if the submission in execution did not stop within
     *         {@link #RESET_MILLIS} (it stops at its next chunk, and the engine is idle then)
     */
    synchronized int reset() throws InterruptedException {
        int n = queue.size();
        queue.clear();
        dropped += n;
        resets++;
        if (status == EngineStatus.BUSY) {
            abort = true;
            long deadline = System.nanoTime() + RESET_MILLIS * 1_000_000L;
            for (long left = RESET_MILLIS; status == EngineStatus.BUSY && left > 0;
                    left = (deadline - System.nanoTime()) / 1_000_000L) {
                wait(left);
            }
            if (status == EngineStatus.BUSY) {
                throw new IllegalStateException("engine " + type + " did not stop its submission within " + RESET_MILLIS
                        + " ms (it stops at its next chunk; queued work was dropped)");
            }
        }
        status = EngineStatus.IDLE;
        abort = false;
        notifyAll();
        return n;
    }

    void stop() throws InterruptedException {
        synchronized (this) {
            stopped = true;
            abort = true;
            queue.clear();
            notifyAll();
        }
        thread.join(5000);
    }

    private synchronized Job next() throws InterruptedException {
        while (!stopped && (queue.isEmpty() || status == EngineStatus.FAULTED)) {
            wait();
        }
        if (stopped) {
            return null;
        }
        status = EngineStatus.BUSY;
        return queue.pollFirst();
    }

    private boolean aborted() {
        return abort || stopped;
    }

    /** The executor reached its next chunk, step or row: that is progress; returns whether a reset asks it to stop. */
    private boolean nextStep() {
        progress++; // the engine's own thread only
        return aborted();
    }

    /** How many chunks, copy steps and rows this engine executed (it moves while the engine makes progress). */
    long progress() {
        return progress;
    }

    @Override
    public void run() {
        try {
            Job s;
            while ((s = next()) != null) {
                Interrupt outcome = execute(s);
                synchronized (this) {
                    boolean reset = abort;
                    abort = false; // a reset that stopped this submission is over, whether or not it waited this long
                    if (outcome instanceof Interrupt.DmaPageFaulted || outcome instanceof Interrupt.DmaFaulted) {
                        faulted++;
                        status = reset ? EngineStatus.IDLE : EngineStatus.FAULTED;
                    } else {
                        if (outcome != null) {
                            completed++;
                        }
                        status = EngineStatus.IDLE;
                    }
                    notifyAll();
                }
                if (outcome != null) {
                    interrupts.accept(outcome);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Executes a submission, fetching and decoding its command buffer first if it has one; returns its
     * interrupt, or {@code null} if a reset aborted it.
     */
    private Interrupt execute(Job s) {
        List<GpuCommand> commands = s.commands();
        boolean fromBuffer = commands == null;
        if (fromBuffer) {
            byte[] buffer = new byte[s.bytes()];
            Translation.Fault fault = executor.fetch(s.pasid(), s.bufferVa(), buffer);
            if (fault != null) {
                return pageFaulted(s, fault);
            }
            try {
                commands = CommandPackets.decode(buffer);
            } catch (CommandPackets.InvalidPacketException bad) {
                return new Interrupt.DmaFaulted(type, s.contextId(), s.fenceValue(), s.pasid(), s.bufferVa() + bad.offset(),
                        bad.getMessage());
            }
        }
        for (GpuCommand command : commands) {
            if (aborted()) {
                return null;
            }
            Translation.Fault fault = executor.execute(s.pasid(), command, this::nextStep, this::aborted);
            if (aborted()) {
                return null; // stopped part way: the reset drops the submission
            }
            if (fault != null) {
                return pageFaulted(s, fault);
            }
            if (fromBuffer && command instanceof GpuCommand.WriteFence) { // a fence value written from a buffer: tell the driver now
                interrupts.accept(new Interrupt.MonitoredFenceSignaled(type, s.contextId()));
            }
        }
        return new Interrupt.DmaCompleted(type, s.contextId(), s.fenceValue());
    }

    /** The interrupt of a submission stopped by a fault the IOMMU reported, fetching it or running it. */
    private Interrupt pageFaulted(Job s, Translation.Fault fault) {
        return new Interrupt.DmaPageFaulted(type, s.contextId(), s.fenceValue(), fault.pasid(), fault.va(), fault.access(),
                fault.kind(), true);
    }
}
