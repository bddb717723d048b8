import ShoalProtocol
import ShoalZip

/// The check of an uploaded zip at the door, as Lambda makes it, so that a bad zip is refused
/// at create and never at the first invoke: the archive's structure, the tree rules
/// (`ZipTreeRules`: no absolute path, no `..`, no link leading out of the tree), every entry
/// inflating to its size and CRC-32, and no more than Lambda's limit unzipped. A worker that
/// unpacks applies the tree rules again to code and layers together.
///
/// Inflating is CPU work of up to the limit, so the registry runs this on its thread pool,
/// never on the cooperative pool; inflation stops as soon as the limit is passed, so a zip
/// bomb costs no more than the limit.
enum ZipContent {
    /// Returns the checked tree (its normalized paths) for rules that look at names.
    @discardableResult
    static func verify(_ bytes: [UInt8], unzippedLimit: Int = ZipArchive.maximumUnzippedBytes) throws(GatewayError) -> ZipTree {
        do throws(ZipError) {
            let archive = try ZipArchive(bytes)
            let inflater = ZipInflater()
            var tree = ZipTree()
            try tree.add(archive, using: inflater)
            try tree.checkLinks()
            var unzipped = 0
            for entry in archive.entries where entry.kind == .file {
                try inflater.read(entry, of: archive) { (piece) throws(ZipError) in
                    unzipped += piece.count
                    guard unzipped <= unzippedLimit else { throw ZipError(.tooLarge, "Unzipped size must be smaller than \(unzippedLimit) bytes") }
                }
            }
            return tree
        } catch {
            throw GatewayError(.invalidParameter, error.message)
        }
    }
}
