import Glibc

public enum CPU {
    /// Online cores: the default number of event loops.
    public static var count: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
