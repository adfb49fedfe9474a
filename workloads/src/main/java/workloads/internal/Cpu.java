package workloads.internal;

import java.util.Map;

/** What a workload process does on the CPU: write its own memory, and exit. */
final class Cpu {
    private Cpu() {
    }

    static void write(Machine machine, int pid, long va, byte[] bytes) {
        machine.os().addressSpace(pid).write(va, bytes);
    }

    static boolean keep(Map<String, String> options) {
        return Boolean.parseBoolean(options.getOrDefault("keep", "false"));
    }

    /**
     * Closes the device and ends the process, unless the options say {@code keep=true}: then both stay,
     * like an application that keeps running, and so does its picture.
     */
    static void exit(Machine machine, int pid, umd.api.UmdDevice device, Map<String, String> options) {
        if (!keep(options)) {
            if (device != null) {
                device.close();
            }
            machine.os().kill(pid);
        }
    }
}
