import Glibc

/// How many CPUs this process may keep busy: the CPUs of its affinity mask (`taskset`, a container's cpuset),
/// capped by its cgroup's CPU quota (ECS and Kubernetes CPU limits, `systemd`'s `CPUQuota=`), which the kernel
/// enforces by throttling. The default number of event loops: more loops than that only take turns.
public struct CPUBudget: Sendable, Equatable, CustomStringConvertible {
    public var affinity: Int
    /// CPUs' worth of time per period the cgroup (or the tightest of its ancestors) may use; nil without a limit.
    public var quota: Double?

    public init(affinity: Int, quota: Double?) {
        self.affinity = affinity
        self.quota = quota
    }

    /// The affinity, capped by the quota rounded up; at least 1.
    public var cpus: Int {
        let capped = quota.map { min(affinity, Int($0.rounded(.up))) } ?? affinity
        return max(1, capped)
    }

    /// `affinity 2, cgroup quota 1.5`, for the start-up line.
    public var description: String {
        guard let quota else { return "affinity \(affinity)" }
        let text = quota == quota.rounded() ? String(Int(quota)) : String((quota * 100).rounded() / 100)
        return "affinity \(affinity), cgroup quota \(text)"
    }

    /// This process's budget, read from the kernel (`procSelfCgroup` and the others move for tests). The affinity
    /// is the mask `/proc/self/status` lists (`Cpus_allowed_list`) among the CPUs online, which is what
    /// `sched_getaffinity` returns (the mask itself may name CPUs that are offline); it needs no C, where glibc
    /// declares `sched_getaffinity` and `CPU_COUNT` only under `_GNU_SOURCE`.
    public static func current(procSelfCgroup: String = "/proc/self/cgroup", cgroupRoot: String = "/sys/fs/cgroup",
                               procSelfStatus: String = "/proc/self/status",
                               onlineCPUs: String = "/sys/devices/system/cpu/online") -> CPUBudget {
        let online = text(onlineCPUs).flatMap(cpuSet)
        let allowed = text(procSelfStatus).flatMap { status in
            status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
                .flatMap { cpuSet(String($0.dropFirst("Cpus_allowed_list:".count))) }
        }
        let usable = switch (allowed, online) {
        case let (allowed?, online?): allowed.intersection(online).count
        case let (allowed?, nil): allowed.count
        default: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        }
        return CPUBudget(affinity: max(1, usable), quota: quota(procSelfCgroup: procSelfCgroup, cgroupRoot: cgroupRoot))
    }

    /// The CPUs of a kernel CPU list (`0-3,8,10-11`); nil if it is not one (or names more than 65,536).
    public static func cpuSet(_ list: String) -> Set<Int>? {
        var cpus = Set<Int>()
        for item in list.split(separator: ",") {
            let bounds = item.filter { !$0.isWhitespace }.split(separator: "-", omittingEmptySubsequences: false)
            guard let low = bounds.first.flatMap({ Int($0) }), let high = Int(bounds.last!), bounds.count <= 2,
                  low >= 0, low <= high, high < 65_536 else {
                return nil
            }
            cpus.formUnion(low...high)
        }
        return cpus.isEmpty ? nil : cpus
    }

    /// The tightest quota on the way from this process's cgroup up to the root: cgroup v2's `cpu.max`, else
    /// v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us` in the `cpu` hierarchy. A container usually sees its own
    /// cgroup as `/`, with its limit at the mount point itself.
    static func quota(procSelfCgroup: String, cgroupRoot: String) -> Double? {
        guard let membership = text(procSelfCgroup) else { return nil }
        var quotas: [Double] = []
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                for directory in ancestors(cgroupRoot, path) {
                    if let max = text(directory + "/cpu.max"), let quota = parseCPUMax(max) { quotas.append(quota) }
                }
            } else if fields[1].split(separator: ",").contains("cpu") {
                for mount in [cgroupRoot + "/" + fields[1], cgroupRoot + "/cpu,cpuacct", cgroupRoot + "/cpu"] {
                    for directory in ancestors(mount, path) {
                        if let quota = text(directory + "/cpu.cfs_quota_us"), let period = text(directory + "/cpu.cfs_period_us"),
                           let value = parseCFS(quota: quota, period: period) {
                            quotas.append(value)
                        }
                    }
                }
            }
        }
        return quotas.min()
    }

    /// `root + path` and each directory above it up to `root`. A path that climbs (`/../x`: a process outside
    /// its cgroup namespace's root) is not followed outside the mount.
    static func ancestors(_ root: String, _ path: String) -> [String] {
        var parts = path.split(separator: "/").map(String.init)
        if parts.contains("..") || parts.contains(".") { parts = [] }
        var directories: [String] = []
        while true {
            directories.append(([root] + parts).joined(separator: "/"))
            if parts.isEmpty { return directories }
            parts.removeLast()
        }
    }

    /// cgroup v2 `cpu.max`: `QUOTA PERIOD` in microseconds, or `max PERIOD` for no limit.
    public static func parseCPUMax(_ text: String) -> Double? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), quota > 0, period > 0 else {
            return nil
        }
        return quota / period
    }

    /// cgroup v1: `cpu.cfs_quota_us` (-1 for no limit) over `cpu.cfs_period_us`.
    public static func parseCFS(quota: String, period: String) -> Double? {
        guard let quota = Double(quota.filter { !$0.isWhitespace }), let period = Double(period.filter { !$0.isWhitespace }),
              quota > 0, period > 0 else { return nil }
        return quota / period
    }

    private static func text(_ path: String) -> String? {
        FileSystem.readRegularFile(path, maxBytes: 65_536).map { String(decoding: $0, as: UTF8.self) }
    }
}
