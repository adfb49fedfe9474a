/**
 * Implementation of the video memory manager; private.
 *
 * <p>State per adapter ({@code AdapterVidMm}): processes, devices ({@code DeviceState}), contexts
 * ({@code ContextState}) and allocations, guarded by the adapter's lock. A context's fence state is
 * guarded by the context's own monitor, so that interrupts (on engine threads) complete fences
 * without the adapter's lock; the attached driver's context handles map to contexts in
 * {@code byKmdHandle}, a concurrent map read by interrupts.
 *
 * <p>Locks are taken in this order, never the other way: the registry of adapters and drivers
 * ({@code VideoMemoryManager.registry}) -> an adapter's lock -> VidMm's PASID users
 * ({@code pasidUsers}) -> the OS memory manager's locks (address space, then the IOMMU's
 * invalidation and in-flight gate) -> a context's monitor. Interrupts take only a context's monitor.
 * Known debt: the quiesce and drains still wait up to two seconds for a context's
 * fence while holding the adapter's lock; each such wait is on a context's monitor, which an
 * interrupt takes without the adapter's lock, so it ends, but other calls on the adapter wait too.
 */
package vidmm.internal;
