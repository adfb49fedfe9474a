package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import iommu.hw.Access;
import iommu.hw.DmaResult;
import iommu.hw.TranslationPort;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;

/**
 * Thousands of random operations over several processes, checked against a reference model that
 * knows, for each process, which pages are mapped, with which protection and which bytes.
 *
 * <p>Seeds: {@code -Dsvm.seed=N} replays one seed; {@code -Dsvm.seeds=K -Dsvm.ops=N} runs longer.
 */
class RandomizedDifferentialTest {
    static final int PAGE = 4096;

    /** The reference: one process's pages, by page VA. */
    static final class ModelProcess {
        final int pid;
        final int pasid;
        final Map<Long, PageProtection> protection = new HashMap<>();
        final Map<Long, byte[]> bytes = new HashMap<>();
        final Map<Long, Long> allocations = new HashMap<>();

        ModelProcess(int pid, int pasid) {
            this.pid = pid;
            this.pasid = pasid;
        }

        byte[] page(long pageVa) {
            return bytes.computeIfAbsent(pageVa, k -> new byte[PAGE]);
        }
    }

    @TempDir
    Path dir;

    /** The run's translation port (as a GPU engine holds one). */
    TranslationPort port;

    @Test
    void randomOperationsAgreeWithTheReferenceModel() {
        seeds(false);
    }

    /**
     * The same on a machine of 2 MiB RAM and a 16 MiB pagefile, with explicit trims besides the
     * automatic ones: bytes survive any number of page-out and page-in round trips, and no PASID
     * reads a frame after it was paged out and reused.
     */
    @Test
    void randomOperationsWithPagingAgreeWithTheReferenceModel() {
        long[] pagesOut = {0};
        seeds(true, pagesOut);
        assertTrue(pagesOut[0] > 0, "the paging runs paged nothing out");
    }

    private void seeds(boolean paging, long... pagesOut) {
        String one = System.getProperty("svm.seed");
        int seeds = Integer.getInteger("svm.seeds", 4);
        int ops = Integer.getInteger("svm.ops", 2500);
        if (one != null) {
            run(Long.parseLong(one), ops, paging, pagesOut);
            return;
        }
        long base = System.nanoTime();
        for (int i = 0; i < seeds; i++) {
            run(base + i, ops, paging, pagesOut);
        }
    }

    void run(long seed, int ops, boolean paging, long[] pagesOut) {
        Machine m = paging ? new Machine(2L << 20, PagingFile.open(dir.resolve("pagefile.sys"), 16), 5)
                : new Machine(64L << 20);
        try {
            runUnchecked(seed, ops, m, paging);
            if (paging) {
                pagesOut[0] += m.pagefile.pagesOut();
            }
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed + " (replay: -Dsvm.seed=" + seed + ")", e);
        } finally {
            m.shutdown();
        }
    }

    void runUnchecked(long seed, int ops, Machine m, boolean paging) {
        Random rnd = new Random(seed);
        FrameCounts start = m.mm.frames();
        port = m.iommu.openPort();
        List<ModelProcess> procs = new ArrayList<>();
        for (int op = 0; op < ops; op++) {
            if (procs.size() < 2 || rnd.nextInt(60) == 0) {
                int pid = m.mm.spawn("p" + op);
                procs.add(new ModelProcess(pid, m.mm.bindIommu(pid)));
                continue;
            }
            ModelProcess p = procs.get(rnd.nextInt(procs.size()));
            AddressSpace as = m.mm.addressSpace(p.pid);
            int kind = rnd.nextInt(100);
            if (kind < 12) {
                long pages = 1 + rnd.nextInt(6);
                PageProtection prot = rnd.nextInt(4) == 0 ? PageProtection.READONLY : PageProtection.READWRITE;
                long va = as.allocate(pages * PAGE, prot);
                p.allocations.put(va, pages);
                for (long i = 0; i < pages; i++) {
                    p.protection.put(va + i * PAGE, prot);
                    p.bytes.remove(va + i * PAGE);
                }
            } else if (kind < 20 && !p.allocations.isEmpty()) {
                long va = pick(rnd, p.allocations.keySet());
                long pages = p.allocations.remove(va);
                as.release(va);
                for (long i = 0; i < pages; i++) {
                    p.protection.remove(va + i * PAGE);
                    p.bytes.remove(va + i * PAGE);
                }
            } else if (kind < 28 && !p.protection.isEmpty()) {
                long page = pick(rnd, p.protection.keySet());
                PageProtection prot = PageProtection.values()[rnd.nextInt(3)];
                as.protect(page, PAGE, prot);
                p.protection.put(page, prot);
            } else if (kind < 29) {
                m.mm.kill(p.pid);
                procs.remove(p);
            } else if (paging && kind < 36) {
                m.mm.trim(p.pid, 1 + rnd.nextInt(16));
            } else {
                access(rnd, m, procs, p, kind);
            }
        }
        for (ModelProcess p : procs) {
            m.mm.kill(p.pid);
        }
        long portCounts = port.hits() + port.misses();
        assertTrue(portCounts > 0, "the port translated nothing");
        long before = m.iommu.stats().translations();
        port.close();
        assertEquals(before, m.iommu.stats().translations(), "closing a port keeps its counts in the unit's");
        assertEquals(start, m.mm.frames(), "every frame returned after all processes exited");
        assertEquals(0, m.iommu.boundPasids().size());
        assertEquals(0, m.mm.paging().slotsUsed(), "every pagefile slot returned");
        assertEquals(0, m.mm.paging().commitCharge(), "the commit charge returns to zero");
    }

    /** A CPU or DMA read or write at a random address (mapped or not) of process {@code p}. */
    void access(Random rnd, Machine m, List<ModelProcess> procs, ModelProcess p, int kind) {
        long pageVa = randomAddress(rnd, procs, p);
        int offset = rnd.nextInt(PAGE);
        int length = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 2 * PAGE);
        boolean write = kind % 2 == 0;
        boolean gpu = kind % 3 != 0;
        long va = pageVa + offset;
        int allowed = allowedPrefix(p, va, length, write);
        AddressSpace as = m.mm.addressSpace(p.pid);
        if (write) {
            byte[] data = new byte[length];
            rnd.nextBytes(data);
            if (gpu) {
                DmaResult r = m.iommu.write(p.pasid, va, data);
                assertEquals(allowed, r.bytesTransferred(), "DMA write stops exactly at the first page not writable");
                applyWrite(p, va, data, allowed);
            } else {
                try {
                    as.write(va, data);
                    assertEquals(length, allowed, "CPU write succeeded where the model forbids it");
                    applyWrite(p, va, data, length);
                } catch (MemoryException e) {
                    if (allowed == length) {
                        fail("CPU write refused where the model allows it: " + e.getMessage());
                    }
                }
            }
        } else {
            byte[] expected = expectedBytes(p, va, length);
            if (gpu && kind % 5 == 0) {
                // a translation port: the physical address it gives holds the model's bytes
                long pa = port.physicalAddress(p.pasid, va, Access.READ);
                if (allowed == 0) {
                    assertEquals(TranslationPort.FAULTED, pa, String.format("port translated unreadable 0x%x", va));
                    assertNotNull(port.lastFault());
                } else {
                    assertTrue(pa >= 0, "port fault where the model allows a read: " + port.lastFault());
                    byte[] out = new byte[(int) Math.min(length, PAGE - (va & (PAGE - 1)))];
                    m.memory.read(pa, out, 0, out.length);
                    assertArrayEquals(java.util.Arrays.copyOf(expected, out.length), out,
                            String.format("bytes at the port's translation of 0x%x", va));
                }
            } else if (gpu) {
                byte[] out = new byte[length];
                DmaResult r = m.iommu.read(p.pasid, va, out);
                assertEquals(allowed, r.bytesTransferred(), "DMA read stops exactly at the first unreadable page");
                if (allowed < length) {
                    assertNotNull(r.fault());
                } else {
                    assertNull(r.fault());
                }
                for (int i = 0; i < allowed; i++) {
                    if (out[i] != expected[i]) {
                        fail(String.format("DMA read of PASID %d at 0x%x byte %d: got %d, model %d", p.pasid, va, i,
                                out[i], expected[i]));
                    }
                }
            } else {
                try {
                    byte[] out = as.read(va, length);
                    assertEquals(length, allowed, "CPU read succeeded where the model forbids it");
                    assertArrayEquals(expected, out);
                } catch (MemoryException e) {
                    if (allowed == length) {
                        fail("CPU read refused where the model allows it: " + e.getMessage());
                    }
                }
            }
        }
    }

    /** Mostly this process's pages; sometimes another process's, or a page just freed. */
    long randomAddress(Random rnd, List<ModelProcess> procs, ModelProcess p) {
        if (!p.protection.isEmpty() && rnd.nextInt(10) < 7) {
            return pick(rnd, p.protection.keySet());
        }
        ModelProcess other = procs.get(rnd.nextInt(procs.size()));
        if (!other.protection.isEmpty()) {
            return pick(rnd, other.protection.keySet());
        }
        return AddressSpace.USER_MIN + (long) rnd.nextInt(4096) * PAGE;
    }

    /** Bytes from {@code va} that the model allows before the first page that forbids the access. */
    static int allowedPrefix(ModelProcess p, long va, int length, boolean write) {
        int done = 0;
        while (done < length) {
            long at = va + done;
            PageProtection prot = p.protection.get(at & ~(PAGE - 1L));
            if (prot == null || (write ? !prot.writable() : !prot.readable())) {
                return done;
            }
            done += (int) Math.min(length - done, PAGE - (at & (PAGE - 1)));
        }
        return done;
    }

    static byte[] expectedBytes(ModelProcess p, long va, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            long at = va + i;
            byte[] page = p.bytes.get(at & ~(PAGE - 1L));
            out[i] = page == null ? 0 : page[(int) (at & (PAGE - 1))];
        }
        return out;
    }

    static void applyWrite(ModelProcess p, long va, byte[] data, int count) {
        for (int i = 0; i < count; i++) {
            long at = va + i;
            p.page(at & ~(PAGE - 1L))[(int) (at & (PAGE - 1))] = data[i];
        }
    }

    static long pick(Random rnd, java.util.Set<Long> keys) {
        List<Long> sorted = new ArrayList<>(keys);
        java.util.Collections.sort(sorted);
        return sorted.get(rnd.nextInt(sorted.size()));
    }
}
