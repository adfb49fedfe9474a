package os.memmgr.internal;

import os.memmgr.SectionInfo;

/**
 * A shared section: its frames, made on first touch through any view, belong to the section and are
 * freed once the section handle is closed and no view maps it. Section pages are charged to the
 * system's commit when the section is created, and are not paged out in this model (a real memory
 * manager pages them through prototype PTEs).
 */
final class Section {
    final long handle;
    final long[] frames;
    private int views;
    private boolean open = true;

    Section(long handle, long pages) {
        this.handle = handle;
        this.frames = new long[(int) pages];
    }

    long size() {
        return (long) frames.length << 12;
    }

    long pages() {
        return frames.length;
    }

    /** The frame of page {@code index}, made (SHARED) on first use. Caller holds this section's lock. */
    long frame(int index, PageTable.FrameSource source) {
        if (frames[index] == 0) {
            frames[index] = source.allocate(FrameDatabase.State.SHARED);
        }
        return frames[index];
    }

    synchronized void addView() {
        views++;
    }

    /** Removes a view; returns whether the section is now gone (closed, unmapped). */
    synchronized boolean removeView() {
        views--;
        return !open && views == 0;
    }

    /** Closes the handle; returns whether the section is now gone. */
    synchronized boolean close() {
        open = false;
        return views == 0;
    }

    synchronized boolean isOpen() {
        return open;
    }

    synchronized void freeFrames(FrameDatabase db) {
        for (int i = 0; i < frames.length; i++) {
            if (frames[i] != 0) {
                db.free(frames[i]);
                frames[i] = 0;
            }
        }
    }

    synchronized SectionInfo info() {
        long resident = 0;
        for (long f : frames) {
            resident += f == 0 ? 0 : 1;
        }
        return new SectionInfo(handle, size(), views, resident);
    }
}
