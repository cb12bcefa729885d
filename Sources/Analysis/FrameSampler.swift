/// Picks which decoded frames to analyse so that about `fps` frames per second of
/// stream time are taken, whatever the stream's own rate. Time is passed in.
public struct FrameSampler: Sendable, Equatable {
    public let interval: Double
    private var nextDue: Double?
    private var previousKeyframe = false

    public init(fps: Double) {
        precondition(fps > 0)
        interval = 1 / fps
    }

    /// Whether to analyse the frame at stream time `time` (seconds). A keyframe after a
    /// frame that was not one is always taken and the frames after it are counted from it: decode-on-demand decodes
    /// keyframes alone and catches up from one, and the frames analysed must be the same
    /// whether every frame was decoded or not (at most one frame more a group of pictures).
    public mutating func take(_ time: Double, keyframe: Bool = false) -> Bool {
        // A small tolerance so a 10 fps stream sampled at 5 fps takes every other frame despite rounding.
        let tolerance = interval * 0.1
        // (Not where every frame is a keyframe, as in MJPEG: one a group of pictures.)
        defer { previousKeyframe = keyframe }
        if keyframe && !previousKeyframe {
            nextDue = time + interval
            return true
        }
        guard let due = nextDue else {
            nextDue = time + interval
            return true
        }
        if time + tolerance < due {
            // A jump backwards (new session, loop without offset) starts over.
            if due - time > 2 * interval + 1 {
                nextDue = time + interval
                return true
            }
            return false
        }
        var next = due + interval
        if next <= time { next = time + interval }
        nextDue = next
        return true
    }
}
