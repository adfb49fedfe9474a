package kmd.sdk;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process, device, context and open-allocation handles a driver hands VidMm, with the PASIDs each
 * was created with: what CreateProcess, CreateDevice, CreateContext, OpenAllocation and their Destroy
 * and Close DDIs keep, checked as a driver should (an unknown handle, or a device PASID that is not its
 * process's, is refused naming it). Thread safe.
 */
public final class DriverHandles {
    /** A process as CreateProcess told the driver: one PASID per physical GPU. */
    public record Process(long handle, int pid, int[] pasids) {
        public Process {
            pasids = pasids.clone();
        }
    }

    /**
     * A device as CreateDevice told the driver.
     *
     * @param ordinal how many devices were created before it (0, 1, ...): spreads devices over engines
     */
    public record Device(long handle, long process, int pasid, long ordinal) {
    }

    /** A context as CreateContext told the driver: its device, node and physical GPU. */
    public record Context(long handle, long device, kmd.api.EngineNode node, int physicalGpu) {
    }

    /**
     * An allocation a device opened (DxgkDdiOpenAllocation).
     *
     * @param handle     hDeviceSpecificAllocation, the driver's handle of this open
     * @param device     the device that opened it
     * @param allocation VidMm's handle of the allocation in that device
     * @param create     the device created it (Flags.Create) rather than opened a shared one
     */
    public record Open(long handle, long device, long allocation, boolean create) {
    }

    private final String driver;
    private final AtomicLong next;
    private final AtomicLong created = new AtomicLong();
    private final Map<Long, Process> processes = new ConcurrentHashMap<>();
    private final Map<Long, Device> devices = new ConcurrentHashMap<>();
    private final Map<Long, Context> contexts = new ConcurrentHashMap<>();
    /** hDevice -> its contexts' handles: DestroyDevice drops them without a scan of every context. */
    private final Map<Long, java.util.Set<Long>> contextsOf = new ConcurrentHashMap<>();
    private final Map<Long, Open> opens = new ConcurrentHashMap<>();
    /** hDevice -> its opens' handles: DestroyDevice drops them without a scan of every open. */
    private final Map<Long, java.util.Set<Long>> opensOf = new ConcurrentHashMap<>();

    /**
     * @param driver      the driver's name, in its refusals
     * @param firstHandle handles are {@code firstHandle + 1, + 2, ...}, so each driver's are told apart
     */
    public DriverHandles(String driver, long firstHandle) {
        this.driver = driver;
        this.next = new AtomicLong(firstHandle);
    }

    public long createProcess(int pid, int[] pasids) {
        if (pasids == null || pasids.length == 0) {
            throw new IllegalArgumentException(driver + ": CreateProcess needs at least one PASID");
        }
        long h = next.incrementAndGet();
        processes.put(h, new Process(h, pid, pasids));
        return h;
    }

    public void destroyProcess(long hProcess) {
        if (processes.remove(hProcess) == null) {
            throw unknown("process", hProcess);
        }
    }

    public long createDevice(long hProcess, int ownerPasid) {
        Process p = processes.get(hProcess);
        if (p == null) {
            throw unknown("process", hProcess);
        }
        if (Arrays.stream(p.pasids()).noneMatch(x -> x == ownerPasid)) {
            throw new IllegalArgumentException(driver + ": device PASID " + ownerPasid + " is not one of its process's PASIDs "
                    + Arrays.toString(p.pasids()));
        }
        long h = next.incrementAndGet();
        devices.put(h, new Device(h, hProcess, ownerPasid, created.getAndIncrement()));
        contextsOf.put(h, ConcurrentHashMap.newKeySet());
        opensOf.put(h, ConcurrentHashMap.newKeySet());
        return h;
    }

    public void destroyDevice(long hDevice) {
        if (devices.remove(hDevice) == null) {
            throw unknown("device", hDevice);
        }
        java.util.Set<Long> of = contextsOf.remove(hDevice);
        if (of != null) {
            of.forEach(contexts::remove);
        }
        java.util.Set<Long> opened = opensOf.remove(hDevice);
        if (opened != null) {
            opened.forEach(opens::remove);
        }
    }

    /**
     * A context of a known device on node {@code nodeOrdinal} of the physical GPU whose bit {@code
     * engineAffinity} sets (DXGKARG_CREATECONTEXT), of {@code physicalGpus}; refuses an unknown device,
     * a node the adapter does not have, or an affinity that is not exactly one of its GPUs, naming it.
     */
    public long createContext(long hDevice, int nodeOrdinal, int engineAffinity, int physicalGpus) {
        device(hDevice);
        kmd.api.EngineNode node;
        try {
            node = kmd.api.EngineNode.ofNodeOrdinal(nodeOrdinal);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(driver + ": " + e.getMessage());
        }
        int physicalGpu = Integer.numberOfTrailingZeros(engineAffinity);
        if (Integer.bitCount(engineAffinity) != 1 || physicalGpu >= physicalGpus) {
            throw new IllegalArgumentException(driver + ": EngineAffinity 0x" + Integer.toHexString(engineAffinity)
                    + " is not one physical GPU of the adapter's " + physicalGpus);
        }
        long h = next.incrementAndGet();
        contexts.put(h, new Context(h, hDevice, node, physicalGpu));
        java.util.Set<Long> of = contextsOf.get(hDevice);
        if (of != null) {
            of.add(h);
        }
        return h;
    }

    public void destroyContext(long hContext) {
        Context c = contexts.remove(hContext);
        if (c == null) {
            throw unknown("context", hContext);
        }
        java.util.Set<Long> of = contextsOf.get(c.device());
        if (of != null) {
            of.remove(hContext);
        }
    }

    /**
     * Device {@code hDevice} opened allocation {@code hAllocation} (DxgkDdiOpenAllocation): returns a
     * new hDeviceSpecificAllocation; refuses an unknown device.
     */
    public long openAllocation(long hDevice, long hAllocation, boolean create) {
        device(hDevice);
        long h = next.incrementAndGet();
        opens.put(h, new Open(h, hDevice, hAllocation, create));
        java.util.Set<Long> of = opensOf.get(hDevice);
        if (of != null) {
            of.add(h);
        }
        return h;
    }

    /**
     * Device {@code hDevice} closed its open {@code hDeviceSpecificAllocation} (DxgkDdiCloseAllocation);
     * refuses a handle the device did not get from {@link #openAllocation}, naming it.
     */
    public Open closeAllocation(long hDevice, long hDeviceSpecificAllocation) {
        device(hDevice);
        Open o = opens.get(hDeviceSpecificAllocation);
        if (o == null || o.device() != hDevice) {
            throw unknown("open allocation", hDeviceSpecificAllocation);
        }
        opens.remove(hDeviceSpecificAllocation);
        java.util.Set<Long> of = opensOf.get(hDevice);
        if (of != null) {
            of.remove(hDeviceSpecificAllocation);
        }
        return o;
    }

    /** How many allocations device {@code hDevice} has open (0 for an unknown device). */
    public int openedBy(long hDevice) {
        java.util.Set<Long> of = opensOf.get(hDevice);
        return of == null ? 0 : of.size();
    }

    public Context context(long hContext) {
        Context c = contexts.get(hContext);
        if (c == null) {
            throw unknown("context", hContext);
        }
        return c;
    }

    /** The contexts, oldest handle first. */
    public List<Context> contexts() {
        List<Context> list = new ArrayList<>(contexts.values());
        list.sort(Comparator.comparingLong(Context::handle));
        return list;
    }

    /**
     * The PASID the device's work carries on physical GPU {@code physicalGpu}: its process's PASID for
     * that GPU (CreateProcess got one per GPU), or the device's own when the process has only one.
     */
    public int pasidOn(long hDevice, int physicalGpu) {
        Device d = device(hDevice);
        Process p = processes.get(d.process());
        return p != null && physicalGpu > 0 && physicalGpu < p.pasids().length ? p.pasids()[physicalGpu] : d.pasid();
    }

    /** The device's PASID; refuses an unknown handle. */
    public int devicePasid(long hDevice) {
        return device(hDevice).pasid();
    }

    public Device device(long hDevice) {
        Device d = devices.get(hDevice);
        if (d == null) {
            throw unknown("device", hDevice);
        }
        return d;
    }

    /** Forgets every handle (StopDevice). */
    public void clear() {
        processes.clear();
        devices.clear();
        contexts.clear();
        contextsOf.clear();
        opens.clear();
        opensOf.clear();
    }

    /** The processes, oldest handle first. */
    public List<Process> processes() {
        List<Process> list = new ArrayList<>(processes.values());
        list.sort(Comparator.comparingLong(Process::handle));
        return list;
    }

    /** The devices, oldest handle first. */
    public List<Device> devices() {
        List<Device> list = new ArrayList<>(devices.values());
        list.sort(Comparator.comparingLong(Device::handle));
        return list;
    }

    private IllegalArgumentException unknown(String what, long handle) {
        return new IllegalArgumentException(driver + ": unknown " + what + " handle 0x" + Long.toHexString(handle));
    }
}
