package kmd.conformance.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.PciIdentity;
import gpu.hw.Submission;
import kmd.api.AdapterInfo;
import kmd.api.DisplayDriver;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.api.callbacks.InterruptNotification;
import kmd.sdk.AdapterContext;
import kmd.sdk.DriverHandles;
import kmd.sdk.Hardware;

/**
 * Deliberately broken drivers, one defect each, for the kit to find; and {@link Good}, the same
 * driver without a defect, which must pass every check.
 */
final class Fixtures {
    private Fixtures() {
    }

    /** A driver service over contexts {@code make} builds. */
    static DisplayDriver driver(Function<GpuAdapter, KernelModeDriver> make) {
        return new DisplayDriver() {
            @Override
            public int match(PciIdentity adapter) {
                return 1;
            }

            @Override
            public KernelModeDriver addDevice(GpuAdapter adapter) {
                return make.apply(adapter);
            }

            @Override
            public void removeDevice(KernelModeDriver context) {
            }
        };
    }

    /** A correct driver on kmd.sdk, as a vendor would write it. */
    static class Good extends AdapterContext {
        Good(GpuAdapter gpu) {
            super("fixture", gpu, 2, 0x100);
        }

        VidMmCaps caps() {
            return new VidMmCaps(true, true, false, false, false);
        }

        @Override
        public AdapterInfo queryAdapterInfo() {
            return new AdapterInfo("fixture", caps(), new DriverCaps(gpu.aperture().size()),
                    List.of(new SegmentDescriptor(1, "system", 0, true, false),
                            new SegmentDescriptor(2, "aperture", gpu.aperture().size(), true, true)));
        }
    }

    /** Reports each submission's fence as soon as it is queued, before the engine ran it. */
    static final class EarlyFence extends Good {
        EarlyFence(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        public void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue) {
            super.submitCommand(hContext, commands, fenceValue);
            notifyVidMm(new InterruptNotification.DmaCompleted(handles.context(hContext).node(),
                    handles.context(hContext).physicalGpu(), fenceValue));
        }
    }

    /** Runs the context's previous submission again after each new one (a ring replayed from the wrong place). */
    static final class RerunsPrevious extends Good {
        private final java.util.Map<Long, List<DmaCommand>> previous = new java.util.HashMap<>();

        RerunsPrevious(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        public void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue) {
            List<DmaCommand> again = previous.getOrDefault(hContext, List.of());
            previous.put(hContext, commands);
            List<DmaCommand> all = new java.util.ArrayList<>(commands);
            all.addAll(again);
            super.submitCommand(hContext, all, fenceValue);
        }
    }

    /** A correct driver that runs every node's work on the render engines, as the example vendor driver does. */
    static final class OneEngineType extends Good {
        OneEngineType(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        protected EngineType engineFor(EngineNode node) {
            return EngineType.RENDER;
        }
    }

    /** Reports every fault with the SubmissionFenceId before the faulting one. */
    static final class WrongFaultedFenceId extends MisreportsFaults {
        WrongFaultedFenceId(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        InterruptNotification.DmaPageFaulted misreported(InterruptNotification.DmaPageFaulted f) {
            return new InterruptNotification.DmaPageFaulted(f.node(), f.engineOrdinal(), f.contextHandle(), f.faultedFenceId() - 1,
                    f.faultedVirtualAddress(), f.pageFaultFlags(), f.faultErrorCode(), f.faultedProcessHandle(), f.pasid(),
                    f.reason());
        }
    }

    /** Tags every submission with the PASID of the first device it was ever told about. */
    static final class ForeignPasid extends Good {
        private int first;

        ForeignPasid(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        public long createDevice(long hProcess, int ownerPasid) {
            if (first == 0) {
                first = ownerPasid;
            }
            return super.createDevice(hProcess, ownerPasid);
        }

        @Override
        public void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue) {
            DriverHandles.Context c = handles.context(hContext);
            List<GpuCommand> encoded = commands.stream().map(Hardware::encode).toList();
            EngineType engine = Hardware.engine(c.node());
            gpu.submit(engine, engineInstanceFor(hContext, engine), new Submission(first, hContext, encoded, fenceValue));
        }
    }

    /** A good driver that misreports its page faults, each as {@link #misreported} rewrites it. */
    abstract static class MisreportsFaults extends Good {
        MisreportsFaults(GpuAdapter gpu) {
            super(gpu);
        }

        abstract InterruptNotification.DmaPageFaulted misreported(InterruptNotification.DmaPageFaulted f);

        @Override
        protected void notifyVidMm(InterruptNotification n) {
            super.notifyVidMm(n instanceof InterruptNotification.DmaPageFaulted f ? misreported(f) : n);
        }
    }

    /** Reports each fault on the other node than the faulting context's (the hardware engine's, where a driver shares engines). */
    static final class WrongFaultNode extends MisreportsFaults {
        WrongFaultNode(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        InterruptNotification.DmaPageFaulted misreported(InterruptNotification.DmaPageFaulted f) {
            EngineNode other = f.node() == EngineNode.COPY ? EngineNode.RENDER : EngineNode.COPY;
            return new InterruptNotification.DmaPageFaulted(other, f.engineOrdinal(), f.contextHandle(), f.faultedFenceId(),
                    f.faultedVirtualAddress(), f.pageFaultFlags(), f.faultErrorCode(), f.faultedProcessHandle(), f.pasid(),
                    f.reason());
        }
    }

    /** Reports a page fault at the page's first byte instead of the byte that faulted. */
    static final class WrongFaultVa extends MisreportsFaults {
        WrongFaultVa(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        InterruptNotification.DmaPageFaulted misreported(InterruptNotification.DmaPageFaulted f) {
            return new InterruptNotification.DmaPageFaulted(f.node(), f.engineOrdinal(), f.contextHandle(), f.faultedFenceId(),
                    f.faultedVirtualAddress() & ~0xFFFL, f.pageFaultFlags(), f.faultErrorCode(), f.faultedProcessHandle(),
                    f.pasid(), f.reason());
        }
    }

    /** Reports faults as WDDM 2 drivers must not: no reset asked although the engine halted, and no IOMMU bit. */
    static final class NoResetInFaultFlags extends MisreportsFaults {
        NoResetInFaultFlags(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        InterruptNotification.DmaPageFaulted misreported(InterruptNotification.DmaPageFaulted f) {
            return new InterruptNotification.DmaPageFaulted(f.node(), f.engineOrdinal(), f.contextHandle(), f.faultedFenceId(),
                    f.faultedVirtualAddress(), f.pageFaultFlags() & kmd.api.callbacks.PageFaultFlags.WRITE
                    | kmd.api.callbacks.PageFaultFlags.HW_CONTEXT_VALID, f.faultErrorCode(), 0, f.pasid(), f.reason());
        }
    }

    /** Maps the aperture one page after the one asked. */
    static final class ApertureOffByOne extends Good {
        ApertureOffByOne(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        public void buildPagingBuffer(PagingOperation op, long pagingFenceValue) {
            if (op instanceof PagingOperation.MapApertureSegment m) {
                op = new PagingOperation.MapApertureSegment(m.segmentId(), m.firstPage() + 1, m.frames());
            }
            super.buildPagingBuffer(op, pagingFenceValue);
        }
    }

    /** Never returns from SubmitCommand. */
    static final class HangsInSubmit extends Good {
        HangsInSubmit(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        public void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue) {
            try {
                new java.util.concurrent.CountDownLatch(1).await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Accepts work during exclusive access. */
    static final class IgnoresExclusiveAccess extends Good {
        IgnoresExclusiveAccess(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        public void beginExclusiveAccess() {
        }
    }

    /** Reports a GpuMmu driver. */
    static final class GpuMmuCaps extends Good {
        GpuMmuCaps(GpuAdapter gpu) {
            super(gpu);
        }

        @Override
        VidMmCaps caps() {
            return new VidMmCaps(true, false, true, false, false);
        }
    }

    /**
     * Skips a SetVidPnSourceAddress equal to the last one it made, as if the hardware kept it across
     * StopDevice (the memory lives in the driver service): it drops the replayed primary.
     */
    static DisplayDriver dropsReplayedPrimary() {
        Map<Integer, Long> last = new ConcurrentHashMap<>();
        return driver(gpu -> new Good(gpu) {
            @Override
            public void setVidPnSourceAddress(int sourceId, int segmentId, long offset) {
                Long was = last.put(sourceId, segmentId == 0 ? -1 : offset);
                if (was == null || was != (segmentId == 0 ? -1 : offset)) {
                    super.setVidPnSourceAddress(sourceId, segmentId, offset);
                }
            }
        });
    }

    static DisplayDriver reference() {
        return new DisplayDriver() {
            @Override
            public int match(PciIdentity adapter) {
                return 2;
            }

            @Override
            public KernelModeDriver addDevice(GpuAdapter adapter) {
                return kmd.reference.internal.ReferenceFixture.kmd(adapter, new VidMmCaps(true, true, false, false, false),
                        adapter.aperture().size());
            }

            @Override
            public void removeDevice(KernelModeDriver context) {
            }
        };
    }

}
