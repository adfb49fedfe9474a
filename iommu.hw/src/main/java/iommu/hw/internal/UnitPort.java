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
 * are plain fields only its thread writes; the unit's statistics read them opaquely at any time, so an
 * open port's counts may show there a little late (never torn: a 64-bit field is one move on the JVMs
 * we run). Closing hands them to the unit, exactly. DMA transfers use one too, through {@link #word}
 * (no page requests: those are made outside the in-flight gate, see {@link Dma}).
 */
final class UnitPort implements TranslationPort {
    /** What a closed port probes: an IOTLB with no entry, so that every call takes the miss path, which refuses it. */
    private static final Iotlb CLOSED = new Iotlb(1);
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
    /** The unit's IOTLB; {@link #CLOSED} once the port is closed. */
    private Iotlb iotlb;
    private final Consumer<UnitPort> retire;
    private final long[] scratch = new long[1];
    private final Fault[] fault = new Fault[1];
    /** Written plainly by the port's thread (as the JIT likes it on the hit path), read opaquely by others. */
    private long hits;
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
        // nothing but a 4 KiB probe on the hit path: a PASID outside the table never matches a tag (its
        // bits do not fit the tag's PASID field), and a closed port probes an IOTLB that holds nothing
        long need = Translator.needed(access);
        long word = iotlb.lookup4k(pasid, va);
        if (word != Iotlb.MISS && (word & need) == need) {
            hits++;
            return (word & ~0xFFFL) | (va & 0xFFF);
        }
        return notA4kHit(pasid, va, access, need);
    }

    /** A large page's hit, or a miss: a walk, with page requests. */
    private long notA4kHit(int pasid, long va, Access access, long need) {
        if (closed) {
            throw new IllegalStateException("translation port of IOMMU unit " + unit + " is closed");
        }
        Translator.checkPasid(pasid);
        long word = iotlb.lookupLarge(pasid, va);
        if (word != Iotlb.MISS && (word & need) == need) {
            hits++;
            return PageTableWalker.physicalAddress(word, va);
        }
        misses++;
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
            hits++;
            return word;
        }
        misses++;
        long packed = translator.fill(pasid, va, access, scratch);
        if (packed < 0) {
            lastFault = new Fault(PageTableWalker.faultKind(packed), pasid, va, access);
        }
        return packed;
    }

    /** Counts {@code n} hits found without a lookup each (a DMA run the IOTLB proved contiguous). */
    void countHits(long n) {
        hits += n;
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
            iotlb = CLOSED;
            retire.accept(this);
        }
    }
}
