/**
 * Implementation of the video memory manager; private.
 *
 * <p>State per adapter ({@code AdapterVidMm}, its bookkeeping in {@code AdapterState}): processes,
 * devices ({@code DeviceState}), contexts ({@code ContextState}) and allocations. Its parts are given
 * that state and the parts they call, never the adapter: {@code DriverSeat} (which driver sits in
 * the adapter: {@code DriverCandidates} chooses, {@code Attachments} adds, starts, replays to and
 * removes one), {@code AdapterDrivers} (the change of driver, with the work in flight held across it),
 * {@code Lifetimes} (processes, devices and contexts: create; close, drain, cut off, destroy), {@code Recovery} (resets, TDR, giving drivers up, on the recovery thread),
 * {@code GpuWork} (submission, fences, interrupts, the worker thread) and {@code Display}. A
 * context's fence state is guarded by the context's own monitor, so that interrupts (on engine
 * threads) complete fences without the adapter's locks. What the attached driver calls each process,
 * device and context is kept per attachment ({@code DriverHandles}, concurrent: interrupts name
 * contexts by it), never in VidMm's objects, so a failed attach has nothing to undo.
 *
 * <p>An adapter has two locks ({@code AdapterState}): its call order ({@code calls}), held by whatever
 * changes the adapter for the whole change, so that changes and their DDIs go one at a time, and its
 * bookkeeping lock ({@code lock}), which a change holds except while it calls the driver or the OS
 * ({@code AdapterState.unlocked}: {@code DdiGuard} lets it go for every DDI); readers take the
 * bookkeeping lock only and so never wait for a driver. Locks are taken in this order, never the
 * other way: the registry of adapters and drivers ({@code AdapterRegistry}) -> an
 * adapter's call order -> its bookkeeping lock -> VidMm's PASID users ({@code PasidUsers}) -> the OS
 * memory manager's locks (address space, then the IOMMU's invalidation and in-flight gate) -> a
 * context's monitor -> a synchronization object's monitor. Interrupts take only a context's and a
 * synchronization object's monitor; what they release (a GPU wait's held submissions) runs on the
 * adapter's worker thread as a change. The OS calls VidMm with its own locks held only to report a
 * device-TLB invalidation time-out, and VidMm only queues the adapter's reset there (a process exit
 * tells VidMm before the address space is locked); the whole order, with the paging fence and the
 * hardware's monitors, is in docs/design.md. {@code LockOrderTest} churns both directions from
 * several threads and fails, naming the threads, when a cycle appears; {@code ReadsDuringDdiTest}
 * fails when a DDI is awaited under the bookkeeping lock or two changes reach the driver at once,
 * and every test machine's driver checks that VidMm's state can be read while it is called.
 *
 * <p>Residency is WDDM 2's ({@code Residency}): MakeResident / Evict, reference counted, are its only
 * owner; a submission pins nothing and VidMm reads no command buffer for it. A budget eviction or an
 * OS trim ({@code VidMm.trim}) takes least recently used allocations whose device has no queued
 * work, whatever their count, and queues a trim notification for the device.
 *
 * <p>Waits ("the lock" below is both of the adapter's locks): a device, context or process that goes
 * is first closed under the lock (it takes no more work), its contexts' work is then waited for
 * without the lock (up to two seconds; other devices' calls go on), and only then, under the lock again, what is still queued is cut off by
 * engine resets and the device destroyed. A present waits for its MapApertureSegment's paging fence
 * without the lock and re-checks what may have moved meanwhile; a replaced or blanked primary stays
 * pinned, with its aperture range reserved, until its unmap's paging fence completed, and is then
 * released on the adapter's worker thread ({@code PagingFence.whenCompleted}, {@code GpuWork.later});
 * {@code PresentWaitTest} fails with either wait back under the lock. A change of driver
 * ({@code AdapterDrivers.reconsider}, called without the registry's lock) puts a gate at the head of
 * every context's stream under the lock (new submissions get their fence and are held), waits up to
 * two seconds without the lock for what the going driver was given, then detaches it and attaches and
 * replays the new one under the lock, waits for the replay's aperture maps without it, and opens the
 * gate: the held submissions go to the new driver, in order. Presents wait for the change outside the
 * lock; the TDR watchdog does not count it. {@code DriverChangeWaitTest} fails with either wait under
 * the lock.
 */
package vidmm.internal;
