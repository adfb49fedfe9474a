package workloads.internal;

import java.util.Map;

/** What a workload process does on the CPU: write its own memory, and exit. */
final class Cpu {
    private Cpu() {
    }

    static void write(Machine machine, int pid, long va, byte[] bytes) {
        machine.os().addressSpace(pid).write(va, bytes);
    }

    /** Ends the process unless the options say {@code keep=true} (then it stays, and so does its picture). */
    static void exit(Machine machine, int pid, Map<String, String> options) {
        if (!Boolean.parseBoolean(options.getOrDefault("keep", "false"))) {
            machine.os().kill(pid);
        }
    }
}
