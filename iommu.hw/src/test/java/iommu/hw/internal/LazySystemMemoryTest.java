package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LazySystemMemoryTest {
    LazySystemMemory memory = new LazySystemMemory(1L << 30);

    /** A descriptor's words in one call: each readable whole, the frame marked written; a bad call changes nothing. */
    @Test
    void writeLongsWritesEachWordWithinOneFrameAndRefusesWhatCrossesOne() {
        long[] words = {0x1122334455667788L, -1L, 0, 42};
        memory.writeLongs(0x5000 + 4096 - 32, words);
        for (int i = 0; i < words.length; i++) {
            assertEquals(words[i], memory.readLong(0x5000 + 4096 - 32 + 8L * i));
        }
        assertEquals(1, memory.touchedFrames(), "one frame written");
        IllegalArgumentException across = assertThrows(IllegalArgumentException.class,
                () -> memory.writeLongs(0x6000 + 4096 - 16, words));
        assertTrue(across.getMessage().contains("cross a frame"), across.getMessage());
        assertThrows(IllegalArgumentException.class, () -> memory.writeLongs(0x7004, words), "not 8-byte aligned");
        assertThrows(IllegalArgumentException.class, () -> memory.writeLongs((1L << 30) - 16, words), "beyond memory");
        assertEquals(1, memory.touchedFrames(), "the refused writes touched nothing");
        assertEquals(0, memory.readLong(0x6000 + 4096 - 16));
    }

    @Test
    void partsOfArraysAreWrittenAndReadAsWordsWithinOneFrame() {
        long[] words = {7, 0x1122334455667788L, -1L, 9};
        memory.writeLongs(0x8000 + 4096 - 16, words, 1, 2);
        long[] back = new long[4];
        memory.readLongs(0x8000 + 4096 - 16, back, 1, 2);
        assertArrayEquals(new long[] {0, 0x1122334455667788L, -1L, 0}, back);
        long[] zeros = {5, 5};
        memory.readLongs(0x40_0000, zeros, 0, 2);
        assertArrayEquals(new long[] {0, 0}, zeros, "never-written memory reads as zeros");
        assertEquals(1, memory.touchedFrames(), "reading touches nothing");
        IllegalArgumentException across = assertThrows(IllegalArgumentException.class,
                () -> memory.readLongs(0x8000 + 4096 - 8, back, 0, 2));
        assertTrue(across.getMessage().contains("2 8-byte reads") && across.getMessage().contains("cross a frame"),
                across.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> memory.writeLongs(0x9000, words, 3, 2), "beyond the array");
        assertThrows(IllegalArgumentException.class, () -> memory.readLongs(0x9004, back, 0, 1), "not 8-byte aligned");
        assertEquals(1, memory.touchedFrames(), "the refused calls touched nothing");
    }

    @Test
    void framesTakeHostMemoryOnlyWhenWritten() {
        assertEquals(262144, memory.frameCount());
        assertEquals(0, memory.touchedFrames());
        byte[] buffer = new byte[100];
        memory.read(0x1234_0000L, buffer, 0, 100);
        assertArrayEquals(new byte[100], buffer);
        assertEquals(0, memory.touchedFrames(), "reads do not allocate");
        assertEquals(0, memory.hostBytes());
        memory.write(0x1000 - 2, new byte[] {1, 2, 3, 4}, 0, 4);
        assertEquals(2, memory.touchedFrames(), "a write across a frame boundary touches two frames");
        assertEquals(LazySystemMemory.BANK_SIZE, memory.hostBytes(), "both frames are in the first bank");
        memory.zeroFrame(0);
        assertEquals(1, memory.touchedFrames());
        byte[] back = new byte[4];
        memory.read(0x1000 - 2, back, 0, 4);
        assertArrayEquals(new byte[] {0, 0, 3, 4}, back);
    }

    @Test
    void longsAreLittleEndianAndAtomic() {
        memory.writeLong(0x2000, 0x0102030405060708L);
        byte[] b = new byte[8];
        memory.read(0x2000, b, 0, 8);
        assertEquals(8, b[0]);
        assertTrue(memory.compareAndSetLong(0x2000, 0x0102030405060708L, 42));
        assertEquals(42, memory.getAndSetLong(0x2000, 7));
        assertEquals(7, memory.readLong(0x2000));
    }

    @Test
    void badAddressesAreRejectedAndNameTheAddress() {
        var e = assertThrows(IllegalArgumentException.class, () -> memory.readLong(1L << 30));
        assertTrue(e.getMessage().contains("0x40000000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> memory.readLong(0x1004));
        assertThrows(IllegalArgumentException.class, () -> memory.write((1L << 30) - 2, new byte[4], 0, 4));
        assertEquals(0, memory.touchedFrames(), "a rejected write touches nothing");
        assertThrows(IllegalArgumentException.class, () -> new LazySystemMemory(12345));
        assertThrows(IllegalArgumentException.class, () -> memory.zeroFrame(-1));
    }

    @Test
    void copyMovesBytesAcrossFrames() {
        byte[] data = new byte[10000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        memory.write(0x10_0100, data, 0, data.length);
        memory.copy(0x10_0100, 0x20_0F00, data.length);
        byte[] out = new byte[data.length];
        memory.read(0x20_0F00, out, 0, out.length);
        assertArrayEquals(data, out);
    }

    @Test
    void aBankWhoseFramesAreAllZeroedGoesBackToTheHost() {
        memory = new LazySystemMemory(1L << 30, 0);
        memory.write(0x10_0000, new byte[] {1}, 0, 1);
        memory.write(0x10_3000, new byte[] {2}, 0, 1);
        memory.write(0x20_0000, new byte[] {3}, 0, 1);
        assertEquals(2L * LazySystemMemory.BANK_SIZE, memory.hostBytes());
        memory.zeroFrame(0x100);
        assertEquals(2L * LazySystemMemory.BANK_SIZE, memory.hostBytes(), "frame 0x103 still holds data in the bank");
        memory.zeroFrame(0x103);
        assertEquals(LazySystemMemory.BANK_SIZE, memory.hostBytes(), "the bank of frame 0x100 and 0x103 is given back");
        byte[] one = new byte[1];
        memory.read(0x20_0000, one, 0, 1);
        assertEquals(3, one[0], "the other bank keeps its data");
        memory.read(0x10_3000, one, 0, 1);
        assertEquals(0, one[0]);
        memory.write(0x10_3000, new byte[] {9}, 0, 1);
        memory.read(0x10_3000, one, 0, 1);
        assertEquals(9, one[0], "a released bank is made again on the next write");
    }

    @Test
    void emptiedBanksAreKeptForAWhileSoThatReusedFramesDoNotChurnHostMemory() {
        int kept = LazySystemMemory.KEPT_BANKS;
        int shift = LazySystemMemory.BANK_SHIFT;
        long framesPerBank = LazySystemMemory.FRAMES_PER_BANK;
        for (int bank = 0; bank <= kept + 1; bank++) {
            memory.write((long) bank << shift, new byte[] {1}, 0, 1);
        }
        memory.zeroFrame(0);
        memory.zeroFrame(framesPerBank);
        memory.write(1L << shift, new byte[] {2}, 0, 1); // bank 1 is used again before its turn comes
        assertEquals((kept + 2L) << shift, memory.hostBytes(), "emptied banks are kept");
        for (int bank = 2; bank <= kept + 1; bank++) {
            memory.zeroFrame(bank * framesPerBank);
        }
        assertEquals((kept + 1L) << shift, memory.hostBytes(),
                "bank 0 went back once " + kept + " banks emptied after it; bank 1, written again, stays");
        byte[] one = new byte[1];
        memory.read(1L << shift, one, 0, 1);
        assertEquals(2, one[0]);
    }

    /** One thread keeps writing and checking frame 1 of a bank while another zeroes frame 0 of it. */
    @Test
    void noWriteIsLostWhileTheBankIsReleasedBesideIt() throws Exception {
        memory = new LazySystemMemory(1L << 30, 0);
        int rounds = Integer.getInteger("soak.factor", 1) * 20_000;
        java.util.concurrent.atomic.AtomicReference<String> lost = new java.util.concurrent.atomic.AtomicReference<>();
        Thread writer = new Thread(() -> {
            byte[] in = new byte[1];
            for (int i = 1; i <= rounds && lost.get() == null; i++) {
                memory.write(0x1000, new byte[] {(byte) i}, 0, 1);
                memory.read(0x1000, in, 0, 1);
                if (in[0] != (byte) i) {
                    lost.set("round " + i + " read " + in[0]);
                }
                memory.zeroFrame(1);
            }
        });
        writer.start();
        for (int i = 0; i < rounds && writer.isAlive(); i++) {
            memory.write(0, new byte[] {1}, 0, 1);
            memory.zeroFrame(0);
        }
        writer.join();
        assertEquals(null, lost.get());
        assertEquals(0, memory.touchedFrames());
        assertEquals(0, memory.hostBytes());
    }
}
