import Foundation
import Testing
@testable import SystemIO

@Suite("CPU budget: affinity capped by the cgroup's quota")
struct CPUBudgetTests {
    @Test(arguments: [("150000 100000\n", 1.5), ("100000 100000", 1.0), ("50000 100000", 0.5), ("400000 100000", 4.0)])
    func cpuMax(_ text: String, _ quota: Double) {
        #expect(CPUBudget.parseCPUMax(text) == quota)
    }

    @Test(arguments: ["max 100000\n", "", "150000", "0 100000", "x 100000", "150000 0"])
    func cpuMaxWithoutALimit(_ text: String) {
        #expect(CPUBudget.parseCPUMax(text) == nil)
    }

    @Test(arguments: [("-1\n", "100000\n", nil), ("50000\n", "100000\n", 0.5), ("250000", "100000", 2.5), ("", "100000", nil)] as [(String, String, Double?)])
    func cfs(_ quota: String, _ period: String, _ expected: Double?) {
        #expect(CPUBudget.parseCFS(quota: quota, period: period) == expected)
    }

    @Test(arguments: [
        (CPUBudget(affinity: 2, quota: nil), 2, "affinity 2"),
        (CPUBudget(affinity: 2, quota: 1.5), 2, "affinity 2, cgroup quota 1.5"),
        (CPUBudget(affinity: 8, quota: 0.25), 1, "affinity 8, cgroup quota 0.25"),
        (CPUBudget(affinity: 8, quota: 2), 2, "affinity 8, cgroup quota 2"),
        (CPUBudget(affinity: 1, quota: 4), 1, "affinity 1, cgroup quota 4"),
        (CPUBudget(affinity: 16, quota: 2.01), 3, "affinity 16, cgroup quota 2.01"),
    ])
    func loops(_ budget: CPUBudget, _ cpus: Int, _ description: String) {
        #expect(budget.cpus == cpus)
        #expect(budget.description == description)
    }

    @Test(arguments: [("0-1", 2), ("0", 1), ("0-3,8,10-11", 7), (" 2-5\n", 4), ("0-1,1", 2), ("", nil), ("3-1", nil),
                      ("a", nil), ("1-2-3", nil), ("0-99999", nil)] as [(String, Int?)])
    func cpuLists(_ list: String, _ count: Int?) {
        #expect(CPUBudget.cpuSet(list)?.count == count)
    }

    /// The mask may name CPUs that are offline (hot-plug room, SMT off): only online ones count.
    @Test(arguments: [("0,2", "0-3", 2), ("0-7", "0-3", 4), ("0-7", "0,4-5", 3), ("0,2", nil, 2)] as [(String, String?, Int)])
    func affinityFromTheStatusFile(_ allowed: String, _ online: String?, _ affinity: Int) throws {
        var files = ["status": "Name:\tcapacityd\nCpus_allowed:\t5\nCpus_allowed_list:\t\(allowed)\n", "self": "0::/\n"]
        if let online { files["online"] = online + "\n" }
        let root = try tree(files)
        let budget = CPUBudget.current(procSelfCgroup: root + "/self", cgroupRoot: root + "/fs", procSelfStatus: root + "/status",
                                       onlineCPUs: root + "/online")
        #expect(budget == CPUBudget(affinity: affinity, quota: nil))
    }

    @Test func ancestorsUpToTheRoot() {
        #expect(CPUBudget.ancestors("/r", "/a/b") == ["/r/a/b", "/r/a", "/r"])
        #expect(CPUBudget.ancestors("/r", "/") == ["/r"])
        #expect(CPUBudget.ancestors("/r", "/../x") == ["/r"])
    }

    /// A cgroup tree in a temporary directory standing in for /proc/self/cgroup and /sys/fs/cgroup.
    private func tree(_ files: [String: String]) throws -> String {
        let root = NSTemporaryDirectory() + "capacityd-cgroup-" + UUID().uuidString
        for (path, text) in files {
            let file = root + "/" + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func cgroupV2TakesTheTightestAncestor() throws {
        let root = try tree(["self": "0::/system.slice/capacityd.service\n",
                             "fs/system.slice/capacityd.service/cpu.max": "max 100000\n",
                             "fs/system.slice/cpu.max": "150000 100000\n",
                             "fs/cpu.max": "400000 100000\n"])
        #expect(CPUBudget.quota(procSelfCgroup: root + "/self", cgroupRoot: root + "/fs") == 1.5)
    }

    /// A container sees its own cgroup as `/`, its limit at the mount point.
    @Test func cgroupV2InAContainer() throws {
        let root = try tree(["self": "0::/\n", "fs/cpu.max": "25000 100000\n"])
        #expect(CPUBudget.quota(procSelfCgroup: root + "/self", cgroupRoot: root + "/fs") == 0.25)
    }

    @Test func cgroupV1CPUHierarchy() throws {
        let root = try tree(["self": "4:memory:/x\n3:cpu,cpuacct:/ecs/task\n0::/\n",
                             "fs/cpu,cpuacct/ecs/task/cpu.cfs_quota_us": "-1\n",
                             "fs/cpu,cpuacct/ecs/task/cpu.cfs_period_us": "100000\n",
                             "fs/cpu,cpuacct/ecs/cpu.cfs_quota_us": "200000\n",
                             "fs/cpu,cpuacct/ecs/cpu.cfs_period_us": "100000\n"])
        #expect(CPUBudget.quota(procSelfCgroup: root + "/self", cgroupRoot: root + "/fs") == 2)
    }

    @Test func noCgroupNoQuota() throws {
        let root = try tree(["self": "0::/\n1:cpu:/\n"])
        #expect(CPUBudget.quota(procSelfCgroup: root + "/self", cgroupRoot: root + "/fs") == nil)
        #expect(CPUBudget.quota(procSelfCgroup: root + "/missing", cgroupRoot: root + "/fs") == nil)
    }
}
