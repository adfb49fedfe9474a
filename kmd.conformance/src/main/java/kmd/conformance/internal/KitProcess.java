package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;

/**
 * A process the kit made for a check, known to the driver as VidMm would make it known: an OS
 * process bound to the IOMMU unit of each physical GPU (a PASID each), CreateProcess with those
 * PASIDs, then devices (CreateDevice with the owner's PASID on GPU 0) and their contexts.
 */
final class KitProcess {
    final int pid;
    final AddressSpace memory;
    final int[] pasids;
    /** The driver's handle (a new one after {@link #replay}). */
    long handle;
    private final Session session;
    final List<Device> devices = new ArrayList<>();

    KitProcess(Session session, int pid, AddressSpace memory, int[] pasids, long handle) {
        this.session = session;
        this.pid = pid;
        this.memory = memory;
        this.pasids = pasids.clone();
        this.handle = handle;
    }

    /** DxgkDdiCreateDevice for this process. */
    Device device() {
        Device d = new Device(this, session.kmd().createDevice(handle, pasids[0]));
        devices.add(d);
        return d;
    }

    /**
     * Committed read-write memory of this process, filled with {@code fill} (0: demand-zero pages, not
     * touched by the CPU), and pinned as VidMm's MakeResident pins what the GPU will use: under the
     * OS's {@code windows} fault policy the GPU may reach only resident memory, so every check runs the
     * same under either policy. The pin goes with the process.
     */
    long buffer(long size, byte fill) {
        long va = memory.allocate(size, PageProtection.READWRITE);
        if (fill != 0) {
            memory.write(va, Bytes.repeat(fill, (int) size));
        }
        memory.pin(va, size, true);
        return va;
    }

    /**
     * Tells a restarted driver about this process again, as VidMm's replay does: CreateProcess with the
     * same pid and PASIDs, CreateDevice with the same owner PASID, CreateContext on the same node and
     * GPU; each context's fence values go on from where they were.
     */
    void replay() {
        handle = session.kmd().createProcess(pid, pasids.clone());
        for (Device d : devices) {
            d.handle = session.kmd().createDevice(handle, pasids[0]);
            for (Context c : d.contexts) {
                c.handle = session.kmd().createContext(d.handle, c.node.nodeOrdinal(), 1 << c.gpu);
                session.interrupts().context(c.handle, c.fence);
            }
        }
    }

    /** A device of the process, as the driver knows it. */
    static final class Device {
        final KitProcess process;
        long handle;
        final List<Context> contexts = new ArrayList<>();

        Device(KitProcess process, long handle) {
            this.process = process;
            this.handle = handle;
        }

        /** DxgkDdiCreateContext on {@code node} of physical GPU {@code gpu}. */
        Context context(EngineNode node, int gpu) {
            Session s = process.session;
            Context c = new Context(this, s.kmd().createContext(handle, node.nodeOrdinal(), 1 << gpu), node, gpu);
            s.interrupts().context(c.handle, 0);
            contexts.add(c);
            return c;
        }
    }

    /** A context and its fence timeline as the kit (playing VidMm) keeps it. */
    static final class Context {
        final Device device;
        long handle;
        final EngineNode node;
        final int gpu;
        private long fence;
        private long lastId;

        Context(Device device, long handle, EngineNode node, int gpu) {
            this.device = device;
            this.handle = handle;
            this.node = node;
            this.gpu = gpu;
        }

        /** SubmitCommand with the next fence value; {@code probe} checks the work when the fence is reported. */
        long submit(List<DmaCommand> commands, Interrupts.Probe probe) {
            return submitting(probe, next -> device.process.session.kmd().submitCommand(handle, commands, next));
        }

        /**
         * DxgkDdiSubmitCommandVirtual of {@code length} bytes of packets the process wrote at {@code va};
         * {@code probe} is asked when the completion arrives, as for {@link #submit(List, Interrupts.Probe)}.
         */
        long submitBuffer(long va, int length, Interrupts.Probe probe) {
            return submitting(probe, next -> device.process.session.kmd().submitCommandVirtual(handle, va, length, next));
        }

        /**
         * Calls {@code ddi} with the SubmissionFenceId of the context's next fence (its node's next id on
         * its GPU), which the kit then expects (with {@code probe}) unless it throws; returns the fence.
         */
        private long submitting(Interrupts.Probe probe, java.util.function.LongConsumer ddi) {
            Session s = device.process.session;
            long next = fence + 1;
            long id = s.interrupts().submitting(handle, node, gpu, next, probe);
            try {
                ddi.accept(id);
            } catch (RuntimeException e) {
                s.interrupts().withdrawn(handle, node, gpu, id, fence);
                throw e;
            }
            fence = next;
            lastId = id;
            return next;
        }

        /** The SubmissionFenceId the driver was given for the last fence (a fault names it as FaultedFenceId). */
        long lastSubmissionFenceId() {
            return lastId;
        }

        long submit(DmaCommand command) {
            return submit(List.of(command), null);
        }

        /** Submits and waits for its fence. */
        void run(DmaCommand command, String what) {
            device.process.session.interrupts().await(handle, submit(command), Session.WAIT_MILLIS, what);
        }

        long lastFence() {
            return fence;
        }

        /** The timeline goes on from {@code value} (a replayed context keeps VidMm's fence values). */
        void continueFrom(long value) {
            fence = value;
        }
    }
}
