/// The bucket layout of an HdrHistogram-style log-linear histogram of non-negative integers,
/// with a fixed number of buckets so it fits in shared memory (`SharedHistogram`).
///
/// Values below `2 * subBuckets` (64) have a bucket each (exact). Above, every power of two
/// [2^e, 2^(e+1)) is split into `subBuckets` (32) equal buckets of width 2^(e-5), so a bucket
/// is at most 1/32 of its lowest value wide: any value read back (a bucket's highest value)
/// is within 3.2% of the recorded one, the precision of HdrHistogram with 1.5 significant
/// digits. Values at or above 2^`maxExponent` count in the last bucket. The layout is fixed
/// at compile time: the bucket of a value is a count of leading zeros, a shift and a mask.
public struct LogLinearHistogram: Sendable, Equatable {
    /// log2 of the sub-buckets per power of two.
    public static let subBucketBits = 5
    public static let subBuckets = 1 << subBucketBits
    /// Values below this have a bucket each.
    public static let linearLimit = 2 * subBuckets

    /// Highest power of two tracked (values at or above 2^maxExponent are clamped).
    public let maxExponent: Int

    public init(maxExponent: Int) {
        precondition(maxExponent > Self.subBucketBits + 1 && maxExponent < 63)
        self.maxExponent = maxExponent
    }

    /// Number of buckets.
    public var bucketCount: Int { Self.linearLimit + (maxExponent - Self.subBucketBits - 1) * Self.subBuckets }

    /// The bucket holding `value` (negative values count as 0).
    @inline(__always)
    public func bucket(of value: Int) -> Int {
        if value < Self.linearLimit { return value < 0 ? 0 : value }
        let clamped = min(value, (1 << maxExponent) - 1)
        let exponent = Int.bitWidth - 1 - clamped.leadingZeroBitCount // >= subBucketBits + 1
        let sub = (clamped >> (exponent - Self.subBucketBits)) & (Self.subBuckets - 1)
        return Self.linearLimit + (exponent - Self.subBucketBits - 1) * Self.subBuckets + sub
    }

    /// The lowest value of bucket `index`.
    public func lowestValue(ofBucket index: Int) -> Int {
        if index < Self.linearLimit { return index }
        let k = index - Self.linearLimit
        let exponent = k / Self.subBuckets + Self.subBucketBits + 1
        let sub = k % Self.subBuckets
        return (1 << exponent) + (sub << (exponent - Self.subBucketBits))
    }

    /// The highest value of bucket `index` (what percentiles report, as HdrHistogram's
    /// "highest equivalent value").
    public func highestValue(ofBucket index: Int) -> Int {
        index + 1 < bucketCount ? lowestValue(ofBucket: index + 1) - 1 : (1 << maxExponent) - 1
    }

    /// The value at `quantile` (0...1) of the distribution in `counts` (one count per bucket):
    /// the highest value of the bucket holding the observation of rank ceil(quantile * total).
    /// Nil when there are no observations.
    public func value(atQuantile quantile: Double, counts: [Int]) -> Int? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int((quantile * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return highestValue(ofBucket: index) }
        }
        return highestValue(ofBucket: counts.count - 1)
    }

    /// Observations at or below `limit`, counted by whole buckets: a bucket counts when its
    /// highest value is at most `limit` (exact when `limit` ends a bucket, as every power of
    /// two minus one and every value below 64 does; otherwise within the bucket precision).
    public func count(atOrBelow limit: Int, counts: [Int]) -> Int {
        var total = 0
        for (index, count) in counts.enumerated() {
            if highestValue(ofBucket: index) > limit { break }
            total += count
        }
        return total
    }
}

/// A `LogLinearHistogram` whose bucket counts, observation count and sum live in shared
/// memory: every thread and every fork child records into the same histogram with relaxed
/// atomic adds (three per observation, no lock).
public struct SharedHistogram: Sendable {
    public let layout: LogLinearHistogram
    let buckets: SharedCounterArray
    let count: SharedCounter
    let sum: SharedCounter

    init(layout: LogLinearHistogram, block: SharedCounterBlock) {
        self.layout = layout
        buckets = block.nextArray(layout.bucketCount)
        count = block.next()
        sum = block.next()
    }

    /// Counters this histogram takes from its block.
    static func counterCount(_ layout: LogLinearHistogram) -> Int { layout.bucketCount + 2 }

    @inline(__always)
    public func record(_ value: Int) {
        buckets.add(1, at: layout.bucket(of: value))
        count.add(1)
        sum.add(max(0, value))
    }

    /// The counts as they are now.
    public func snapshot() -> HistogramSnapshot {
        HistogramSnapshot(layout: layout, counts: buckets.loadAll(), count: count.load(), sum: sum.load())
    }
}

/// Bucket counts read from a `SharedHistogram`.
public struct HistogramSnapshot: Sendable, Equatable {
    public let layout: LogLinearHistogram
    public let counts: [Int]
    /// Observations and their sum as counted beside the buckets (a reader racing writers may
    /// see these a few updates apart from the buckets).
    public let count: Int
    public let sum: Int

    public init(layout: LogLinearHistogram, counts: [Int], count: Int, sum: Int) {
        self.layout = layout
        self.counts = counts
        self.count = count
        self.sum = sum
    }

    public func value(atQuantile q: Double) -> Int? { layout.value(atQuantile: q, counts: counts) }
    public func count(atOrBelow limit: Int) -> Int { layout.count(atOrBelow: limit, counts: counts) }
}
