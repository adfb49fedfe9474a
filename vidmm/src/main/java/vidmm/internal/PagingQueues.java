package vidmm.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import vidmm.PagingQueueInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Paging queues (D3DKMTCreatePagingQueue): each belongs to a device and has a paging fence, a
 * monitored fence of the device's process ({@link SyncObjects}) that a MakeResident through the queue
 * advances once its allocations are resident. In the IoMmu model pinning is synchronous, so the fence
 * reaches each value before MakeResident returns; a UMD still waits for it (from the CPU or, with
 * WaitForSynchronizationObjectFromGpu, from a context) as WDDM 2 requires.
 */
final class PagingQueues {
    /** A queue: its device, its fence and the fence's last value. Values are taken under its monitor. */
    private static final class Queue {
        final PagingQueueInfo info;
        private long value;

        Queue(PagingQueueInfo info) {
            this.info = info;
        }

        synchronized long next() {
            return ++value;
        }
    }

    private final SyncObjects syncObjects;
    private final Map<Long, Queue> queues = new ConcurrentHashMap<>();

    PagingQueues(SyncObjects syncObjects) {
        this.syncObjects = syncObjects;
    }

    /** A queue of {@code device} (of process {@code pid}) with handle {@code handle}; its fence gets {@code syncHandle}. */
    PagingQueueInfo create(long device, int pid, long handle, long syncHandle) {
        long sync = syncObjects.create(pid, syncHandle);
        PagingQueueInfo info = new PagingQueueInfo(handle, device, sync, syncObjects.of(sync).va);
        queues.put(handle, new Queue(info));
        return info;
    }

    /** The queue, or INVALID_HANDLE. */
    PagingQueueInfo of(long handle) {
        return queue(handle).info;
    }

    /** The queue's fence advanced to its next value, signalled from the CPU (the pins are in place); returns the value. */
    long advance(long handle) {
        Queue q = queue(handle);
        long value = q.next();
        syncObjects.signalFromCpu(q.info.syncObject(), value);
        return value;
    }

    void destroy(long handle) {
        Queue q = queue(handle);
        if (queues.remove(handle, q)) {
            fenceGone(q);
        }
    }

    /** The device went: its queues and their fences go. */
    void deviceDestroyed(long device) {
        for (Queue q : List.copyOf(queues.values())) {
            if (q.info.device() == device && queues.remove(q.info.handle(), q)) {
                fenceGone(q);
            }
        }
    }

    /** The queue's paging fence goes, unless its process's exit took it already. */
    private void fenceGone(Queue q) {
        if (syncObjects.exists(q.info.syncObject())) {
            Calls.quietly(() -> syncObjects.destroy(q.info.syncObject()));
        }
    }

    private Queue queue(long handle) {
        Queue q = queues.get(handle);
        if (q == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no paging queue has handle 0x" + Long.toHexString(handle));
        }
        return q;
    }
}
