package iommu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

import iommu.hw.Access;
import iommu.hw.PageTableWalker;
import iommu.hw.TranslationPort;
import iommu.hw.Translation.Fault;

/**
 * A {@link TranslationPort}: an IOTLB probe on a hit, the unit's {@link Translator} on a miss. Its counts
 * are plain fields only its thread writes (opaque, so the unit's statistics may read them at any time);
 * closing hands them to the unit. DMA transfers use one too (without page requests per page: those are
 * made outside the in-flight gate, see {@link Dma}).
 */
final class UnitPort implements TranslationPort {
    private static final VarHandle HITS;
    private static final VarHandle MISSES;

    static {
        try {
            HITS = MethodHandles.lookup().findVarHandle(UnitPort.class, "hits", long.class);
            MISSES = MethodHandles.lookup().findVarHandle(UnitPort.class, "misses", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int unit;
    private final Translator translator;
    private final Iotlb iotlb;
    private final Consumer<UnitPort> retire;
    private final long[] scratch = new long[1];
    private final Fault[] fault = new Fault[1];
    @SuppressWarnings("unused") // written through HITS
    private long hits;
    @SuppressWarnings("unused") // written through MISSES
    private long misses;
    private Fault lastFault;
    private boolean closed;

    UnitPort(int unit, Translator translator, Consumer<UnitPort> retire) {
        this.unit = unit;
        this.translator = translator;
        this.iotlb = translator.iotlb;
        this.retire = retire;
    }

    @Override
    public int unit() {
        return unit;
    }

    @Override
    public long physicalAddress(int pasid, long va, Access access) {
        if (closed) {
            throw new IllegalStateException("translation port of IOMMU unit " + unit + " is closed");
        }
        Translator.checkPasid(pasid);
        long need = Translator.needed(access);
        long word = iotlb.lookupData(pasid, va);
        if (word != Iotlb.MISS && (word & need) == need) {
            HITS.setOpaque(this, hits + 1);
            return PageTableWalker.physicalAddress(word, va);
        }
        MISSES.setOpaque(this, misses + 1);
        long packed = translator.resolve(pasid, va, access, scratch, fault);
        if (packed < 0) {
            lastFault = fault[0];
            return FAULTED;
        }
        return PageTableWalker.physicalAddress(packed, va);
    }

    /**
     * The DMA form: the packed mapping of {@code va} granting {@code need} (hit, or walk and fill), or a
     * negative value with the fault, not recorded, in {@link #lastFault()}. No page request.
     */
    long word(int pasid, long va, Access access, long need) {
        long word = iotlb.lookupData(pasid, va);
        if (word != Iotlb.MISS && (word & need) == need) {
            HITS.setOpaque(this, hits + 1);
            return word;
        }
        MISSES.setOpaque(this, misses + 1);
        long packed = translator.fill(pasid, va, access, scratch);
        if (packed < 0) {
            lastFault = new Fault(PageTableWalker.faultKind(packed), pasid, va, access);
        }
        return packed;
    }

    /** Counts {@code n} hits found without a lookup each (a DMA run the IOTLB proved contiguous). */
    void countHits(long n) {
        HITS.setOpaque(this, hits + n);
    }

    @Override
    public Fault lastFault() {
        return lastFault;
    }

    @Override
    public long hits() {
        return (long) HITS.getOpaque(this);
    }

    @Override
    public long misses() {
        return (long) MISSES.getOpaque(this);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            retire.accept(this);
        }
    }
}
