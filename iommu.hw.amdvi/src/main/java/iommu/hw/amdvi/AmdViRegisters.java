package iommu.hw.amdvi;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import iommu.hw.RequesterId;

/**
 * The registers software programs in one AMD-Vi unit (a subset; MMIO offsets as Linux's
 * {@code MMIO_*_OFFSET}): the device table base (0x0000), the command buffer base (0x0008), the event
 * log base (0x0010), the control register (0x0018), the extended feature register (0x0030), the PPR log
 * base (0x0038), the command buffer head and tail (0x2000, 0x2008), the event log head and tail (0x2010,
 * 0x2018), the status register (0x2020) and the PPR log head and tail (0x2030, 0x2038). Heads and tails
 * are byte offsets into their buffer (bits 18:4). Thread safe.
 *
 * <p>The unit runs its command buffer on the thread that writes the tail, before
 * {@link #setCommandTail} returns: commands in order, each COMPLETION_WAIT's store once every command
 * before it completed. A command the unit cannot accept stops the buffer there (the head stays on it)
 * and is logged as an ILLEGAL_COMMAND_ERROR event; software programs the buffer again to go on.
 */
@ProviderType
public interface AmdViRegisters {
    /** Control register bits (Linux's {@code CONTROL_*_EN}). */
    long IOMMU_EN = 1L;
    long EVT_LOG_EN = 1L << 2;
    long EVT_INT_EN = 1L << 3;
    long COMWAIT_INT_EN = 1L << 4;
    long CMDBUF_EN = 1L << 12;
    long PPRLOG_EN = 1L << 13;
    long PPRINT_EN = 1L << 14;
    long PPR_EN = 1L << 15;
    long GT_EN = 1L << 16;
    /** Status register bits (Linux's {@code MMIO_STATUS_*_MASK}); write 1 to clear. */
    long EVT_OVERFLOW = 1L;
    long EVT_INT = 1L << 1;
    long COM_WAIT_INT = 1L << 2;
    long PPR_OVERFLOW = 1L << 5;
    long PPR_INT = 1L << 6;

    /** EFR ({@link ExtendedFeatures#decode}). */
    long extendedFeatures();

    /** The devices behind this unit (the IVRS device scope), in the order they arrived. */
    List<RequesterId> deviceScope();

    /** Tells {@code arrival} of each device that enters the scope from now on; {@code null}: nobody. */
    void setDeviceArrival(java.util.function.Consumer<RequesterId> arrival);

    /**
     * Device table base (0x0000): {@code base}, 4 KiB-aligned, and its size field (bits 8:0): the table
     * is (size + 1) * 4 KiB, 128 entries a frame. The unit's cached device table entries are dropped.
     *
     * @throws IllegalArgumentException if the table is not aligned inside memory (nothing changes)
     */
    void setDeviceTable(long base, int size);

    /** The device table's base, or -1. */
    long deviceTable();

    /** Entries of the device table (DeviceIDs 0..entries-1 have one). */
    int deviceTableEntries();

    /**
     * Command buffer base (0x0008): {@code base}, 4 KiB-aligned, with ComLen (bits 59:56): 2^len entries of
     * 16 bytes, len 8..15. Head and tail go back to 0.
     */
    void setCommandBuffer(long base, int len);

    long commandBuffer();

    int commandBufferEntries();

    /** Event log base (0x0010), as {@link #setCommandBuffer}; the unit writes events at the tail. */
    void setEventLog(long base, int len);

    long eventLog();

    int eventLogEntries();

    /** PPR log base (0x0038), as {@link #setCommandBuffer}; the unit writes page requests at the tail. */
    void setPprLog(long base, int len);

    long pprLog();

    int pprLogEntries();

    /** The control register (0x0018). Enabling the command buffer runs the commands between head and tail. */
    void setControl(long control);

    long control();

    /** The status register (0x2020). */
    long status();

    /** Writes 1s to the status register: those bits clear. */
    void clearStatus(long bits);

    /** Command buffer tail (0x2008), a byte offset: the unit runs the commands up to it. */
    void setCommandTail(long offset);

    long commandHead();

    long commandTail();

    /** Why the command buffer stopped (the illegal command's address and what was wrong), or null while it runs. */
    String commandError();

    /** Event log head (0x2010): software read the events before it. */
    void setEventHead(long offset);

    long eventHead();

    long eventTail();

    /** PPR log head (0x2030): software read the requests before it. */
    void setPprHead(long offset);

    long pprHead();

    long pprTail();

    /**
     * The unit's interrupt: run after it wrote a page request group (PPRINT_EN, with PPR_INT set in the
     * status register), on the requesting device's thread, never while the unit holds its own locks;
     * {@code null}: none. An event sets EVT_INT (with EVT_INT_EN) but runs nothing: software reads the
     * event log after its completion waits.
     */
    void setInterrupt(Runnable interrupt);

    /** What the unit processed and logged. */
    Stats stats();

    /** Counts of commands by kind, events and page requests. */
    record Stats(long completionWaits, long devtabInvalidations, long pageInvalidations, long iotlbInvalidations,
                 long pprCompletions, long invalidateAll, long illegalCommands, long ioPageFaults, long iotlbTimeouts,
                 long pageRequests, long groupsSucceeded, long groupsInvalid, long groupsFailed, long pprOverflows,
                 long eventOverflows) {
    }
}
