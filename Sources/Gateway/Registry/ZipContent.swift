import Foundation
import ShoalProtocol
import ZIPFoundation

/// The content check of an uploaded zip, made at the door as Lambda makes it: every entry
/// inflates and matches its CRC-32, and the archive does not unzip to more than Lambda's
/// limit. `ZipStructure` has already checked the layout; the worker that unpacks still
/// applies the path and link rules and the limit for code and layers together.
///
/// Inflating is CPU work of up to the limit, so the registry runs this on its thread pool,
/// never on the cooperative pool; inflation stops as soon as the limit is passed, so a zip
/// bomb costs no more than the limit.
enum ZipContent {
    static func verify(_ bytes: [UInt8], unzippedLimit: UInt64 = ZipStructure.maximumUnzippedBytes) throws(GatewayError) {
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw GatewayError(.invalidParameter, "Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
        var unzipped: UInt64 = 0
        for entry in archive where entry.type != .directory {
            var overLimit = false
            let checksum: UInt32
            do {
                checksum = try archive.extract(entry) { data in
                    unzipped += UInt64(data.count)
                    if unzipped > unzippedLimit {
                        overLimit = true
                        throw CancellationError()
                    }
                }
            } catch {
                if overLimit {
                    throw GatewayError(.invalidParameter, "Unzipped size must be smaller than \(unzippedLimit) bytes")
                }
                throw GatewayError(.invalidParameter, "Could not unzip uploaded file: \(entry.path) is corrupt")
            }
            guard checksum == entry.checksum else {
                throw GatewayError(.invalidParameter, "Could not unzip uploaded file: \(entry.path) is corrupt (CRC-32 mismatch)")
            }
        }
    }
}
