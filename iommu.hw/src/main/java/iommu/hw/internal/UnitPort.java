package iommu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

import iommu.hw.Access;
import iommu.hw.RequesterId;
import iommu.hw.Translation.Fault;
import iommu.hw.TranslationPort;

/**
 * A {@link TranslationPort}: the unit's one translation path ({@link Translator}) for one requester: a
 * hit is an IOTLB probe, a miss a walk with page requests. Its counts are plain fields only its thread
 * writes; the unit's statistics read them opaquely at any time, so an open port's counts may show there
 * a little late (never torn: a 64-bit field is one move on the JVMs we run). Closing hands them to the
 * unit, exactly. DMA transfers use one too, through {@link #word} (no page requests: those are made
 * outside the in-flight gate, see {@link Dma}); so does the unit's own value form.
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
    private final RequesterId requester;
    private final Translator translator;
    /** The unit's IOTLB; {@link #CLOSED} once the port is closed (so that the hit path checks nothing else). */
    private Iotlb iotlb;
    private final Consumer<UnitPort> retire;
    private final long[] scratch = new long[1];
    private final Fault[] fault = new Fault[1];
    /** Written plainly by the port's thread (as the JIT likes it on the hit path), read opaquely by others. */
    private long hits;
    private long misses;
    private Fault lastFault;
    private boolean closed;

    UnitPort(int unit, RequesterId requester, Translator translator, Consumer<UnitPort> retire) {
        this.unit = unit;
        this.requester = requester;
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
        long need = Translator.needed(access);
        long word = Translator.hit4k(iotlb, pasid, va, need);
        if (word != Translator.MISS) { // the hit path, a 4 KiB page: nothing else on it
            hits++;
            return (word & ~0xFFFL) | (va & 0xFFF);
        }
        long packed = notA4kHit(pasid, va, access, need);
        return packed < 0 ? FAULTED : PackedWalk.physicalAddress(packed, va);
    }

    /** A large page's hit, or a miss (a walk with page requests): the packed mapping, or negative with {@link #lastFault()}. */
    private long notA4kHit(int pasid, long va, Access access, long need) {
        long word = Translator.largeHit(iotlb, pasid, va, need);
        if (word != Translator.MISS) {
            hits++;
            return word;
        }
        if (closed) {
            throw new IllegalStateException("translation port of IOMMU unit " + unit + " is closed");
        }
        Translator.checkPasid(pasid); // a refused call counts nothing
        misses++;
        long packed = translator.resolve(requester, pasid, va, access, 1, scratch, fault);
        if (packed < 0) {
            lastFault = fault[0];
        }
        return packed;
    }

    /**
     * The DMA form: the packed mapping of {@code va} granting {@code need} (hit, or walk and fill), or a
     * negative value with the fault, not recorded, in {@link #lastFault()}. No page request.
     */
    long word(int pasid, long va, Access access, long need) {
        long word = Translator.hit(iotlb, pasid, va, need);
        if (word != Translator.MISS) {
            hits++;
            return word;
        }
        misses++;
        long packed = translator.fill(requester, pasid, va, access, scratch);
        if (packed < 0) {
            lastFault = new Fault(PackedWalk.faultKind(packed), pasid, va, access);
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
