/// Deadlines of an event loop's timers: an indexed binary min-heap. Each timer has a small
/// integer id (the loop derives it from the connection's slot); arming, re-arming and
/// cancelling are O(log n), the earliest deadline is O(1), and a cancelled timer leaves
/// nothing behind (no tombstones to sweep, so memory follows the number of armed timers).
struct TimerHeap {
    private var heap: [(deadline: UInt64, id: Int)] = []
    /// `positions[id]` is the id's index in `heap`, or -1 when it is not armed.
    private var positions: [Int32] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The earliest deadline (monotonic nanoseconds), nil when nothing is armed.
    var earliest: UInt64? { heap.first?.deadline }

    func isArmed(_ id: Int) -> Bool { id < positions.count && positions[id] >= 0 }

    /// Arms `id` to fire at `deadline`, replacing its previous deadline.
    mutating func arm(_ id: Int, at deadline: UInt64) {
        if id >= positions.count {
            positions.append(contentsOf: repeatElement(-1, count: id + 1 - positions.count))
        }
        let index = Int(positions[id])
        if index >= 0 {
            let earlier = deadline < heap[index].deadline
            heap[index].deadline = deadline
            if earlier { siftUp(index) } else { siftDown(index) }
        } else {
            heap.append((deadline, id))
            positions[id] = Int32(heap.count - 1)
            siftUp(heap.count - 1)
        }
    }

    mutating func cancel(_ id: Int) {
        guard isArmed(id) else { return }
        remove(at: Int(positions[id]))
    }

    /// Removes and returns the id of the earliest timer if its deadline is at or before `now`.
    mutating func popExpired(now: UInt64) -> Int? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        remove(at: 0)
        return first.id
    }

    private mutating func remove(at index: Int) {
        let id = heap[index].id
        let last = heap.count - 1
        if index != last {
            swapAt(index, last)
        }
        heap.removeLast()
        positions[id] = -1
        if index < heap.count {
            siftUp(index)
            siftDown(index)
        }
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        positions[heap[i].id] = Int32(i)
        positions[heap[j].id] = Int32(j)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            var smallest = left
            if right < heap.count && heap[right].deadline < heap[left].deadline { smallest = right }
            guard heap[smallest].deadline < heap[parent].deadline else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }
}
