/// A 64-bit hash that is the same in every process and on every run.
///
/// Swift's `Hasher` is seeded per process, so two gateways (or one gateway before and after a
/// restart) would place keys differently. This is FNV-1a over the UTF-8 bytes, finished with
/// the MurmurHash3 64-bit mixer so that similar keys ("fn-1", "fn-2") land far apart.
public enum StableHash {
    /// A hash that is the same in every process and run (Swift's own is seeded per process).
    public static func hash(_ string: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in string.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return mix(hash)
    }

    /// MurmurHash3's fmix64: every input bit affects every output bit.
    public static func mix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
