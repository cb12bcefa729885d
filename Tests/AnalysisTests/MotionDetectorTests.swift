import Analysis
import Testing

@Suite struct MotionDetectorTests {
    var settings: MotionSettings {
        var s = MotionSettings()
        s.warmupFrames = 5
        return s
    }

    @Test func reportsNothingWhileLearning() {
        // Given a detector still in warm-up
        var detector = MotionDetector(settings: settings)
        var frame = SyntheticFrames.background()
        SyntheticFrames.drawBox(&frame, x: 100, y: 60, width: 20, height: 40)
        // When the first frames already contain a moving object
        for _ in 0..<4 { #expect(detector.detect(frame).isEmpty) }
        // Then nothing is reported and the detector is not ready
        #expect(!detector.isReady)
    }

    @Test func findsABoxThatAppearsAfterWarmUp() throws {
        var detector = MotionDetector(settings: settings)
        let empty = SyntheticFrames.background()
        for _ in 0..<6 { _ = detector.detect(empty) }
        #expect(detector.isReady)
        var frame = empty
        SyntheticFrames.drawBox(&frame, x: 100, y: 60, width: 20, height: 40)
        let blobs = detector.detect(frame)
        #expect(blobs.count == 1)
        let blob = try #require(blobs.first)
        // Dilation may grow the box by a pixel on each side.
        #expect(abs(blob.box.minX - 100) <= 1 && abs(blob.box.maxX - 119) <= 1)
        #expect(abs(blob.box.minY - 60) <= 1 && abs(blob.box.maxY - 99) <= 1)
        #expect(abs(blob.footPoint.x - 110.0 / 320) < 0.01)
        #expect(abs(blob.footPoint.y - 100.0 / 180) < 0.01)
    }

    /// Something parked is taken into the background after `absorbAfterFrames` frames; the
    /// detector says how many are left, and a frame after a gap (a keyframe seen alone while
    /// the scene is still) counts for the frames it stands for.
    @Test func saysWhenSomethingParkedWillBeTakenIn() {
        var s = settings
        s.absorbAfterFrames = 100
        var detector = MotionDetector(settings: s)
        let empty = SyntheticFrames.background()
        for _ in 0..<6 { _ = detector.detect(empty) }
        #expect(detector.framesUntilAbsorbed == nil)
        var parked = empty
        SyntheticFrames.drawBox(&parked, x: 100, y: 60, width: 20, height: 40)
        for _ in 0..<10 { _ = detector.detect(parked) }
        #expect(detector.framesUntilAbsorbed == 90)
        detector.elapsedFrames = 50
        #expect(!detector.detect(parked).isEmpty)
        #expect(detector.framesUntilAbsorbed == 40)
        detector.elapsedFrames = 40
        // Taken in on the frame it is due, however that frame was reached.
        #expect(detector.detect(parked).isEmpty)
        #expect(detector.framesUntilAbsorbed == nil)
        // Something first seen after a gap has only just begun to stand there.
        var another = empty
        SyntheticFrames.drawBox(&another, x: 200, y: 60, width: 20, height: 40)
        detector.elapsedFrames = 50
        #expect(!detector.detect(another).isEmpty)
        #expect(detector.framesUntilAbsorbed == 99)
    }

    @Test func ignoresSensorNoise() {
        var detector = MotionDetector(settings: settings)
        var noise = SyntheticFrames.Noise(seed: 42)
        for i in 0..<40 {
            let frame = SyntheticFrames.background(level: 100, noise: 8, noise: &noise)
            let blobs = detector.detect(frame)
            if i >= settings.warmupFrames { #expect(blobs.isEmpty, "frame \(i): \(blobs)") }
        }
    }

    @Test func relearnsInsteadOfAlertingOnAGlobalBrightnessJump() {
        var detector = MotionDetector(settings: settings)
        for _ in 0..<10 { _ = detector.detect(SyntheticFrames.background(level: 80)) }
        // The IR cut filter switches: every pixel jumps by 60 levels at once.
        let bright = SyntheticFrames.background(level: 140)
        for _ in 0..<10 { #expect(detector.detect(bright).isEmpty) }
    }

    @Test func ignoresSpecksBelowTheMinimumSize() {
        var detector = MotionDetector(settings: settings)
        let empty = SyntheticFrames.background()
        for _ in 0..<6 { _ = detector.detect(empty) }
        var frame = empty
        SyntheticFrames.drawBox(&frame, x: 10, y: 10, width: 2, height: 2)
        #expect(detector.detect(frame).isEmpty)
    }

    @Test func startsOverAtANewResolution() {
        var detector = MotionDetector(settings: settings)
        for _ in 0..<6 { _ = detector.detect(SyntheticFrames.background()) }
        #expect(detector.isReady)
        var small = SyntheticFrames.background(width: 160, height: 90)
        SyntheticFrames.drawBox(&small, x: 10, y: 10, width: 20, height: 20)
        #expect(detector.detect(small).isEmpty)
        #expect(!detector.isReady)
    }
}

@Suite struct ConnectedComponentsTests {
    @Test func separatesRegionsAndMeasuresThem() {
        let width = 20, height = 10
        var mask = [UInt8](repeating: 0, count: width * height)
        for y in 1...3 { for x in 1...3 { mask[y * width + x] = 255 } }
        for y in 5...8 { for x in 10...15 { mask[y * width + x] = 255 } }
        let blobs = ConnectedComponents.blobs(mask: mask, width: width, height: height, minArea: 1)
        #expect(blobs.count == 2)
        #expect(Set(blobs.map(\.area)) == [9, 24])
        let big = blobs.first { $0.area == 24 }!
        #expect(big.box == PixelBox(minX: 10, minY: 5, maxX: 15, maxY: 8))
    }

    @Test func joinsDiagonalNeighbours() {
        let width = 5, height = 5
        var mask = [UInt8](repeating: 0, count: 25)
        for i in 0..<5 { mask[i * width + i] = 255 }
        #expect(ConnectedComponents.blobs(mask: mask, width: width, height: height, minArea: 1).count == 1)
    }

    @Test(arguments: [(1, 2), (2, 1), (9, 1), (10, 0)])
    func filtersByArea(minArea: Int, expected: Int) {
        let width = 20, height = 10
        var mask = [UInt8](repeating: 0, count: width * height)
        mask[0] = 255
        for y in 4...6 { for x in 4...6 { mask[y * width + x] = 255 } }
        #expect(ConnectedComponents.blobs(mask: mask, width: width, height: height, minArea: minArea).count == expected)
    }
}

/// Deterministic pseudo-random masks for comparing fast paths with plain references.
struct MaskGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    /// A mask with blocky regions (so regions merge, wrap around and touch diagonally).
    mutating func mask(width: Int, height: Int, density: UInt64 = 3) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: width * height)
        for i in mask.indices where next() % 10 < density { mask[i] = 255 }
        return mask
    }
}

@Suite struct ConnectedComponentsAgainstFloodFill {
    /// A plain 8-connected flood fill in raster order: the reference.
    static func reference(_ mask: [UInt8], width: Int, height: Int) -> [(area: Int, box: PixelBox)] {
        var seen = [Bool](repeating: false, count: mask.count)
        var out: [(Int, PixelBox)] = []
        for start in mask.indices where mask[start] != 0 && !seen[start] {
            seen[start] = true
            var stack = [start], area = 0
            var box = PixelBox(minX: .max, minY: .max, maxX: .min, maxY: .min)
            while let i = stack.popLast() {
                area += 1
                let x = i % width, y = i / width
                box = PixelBox(minX: min(box.minX, x), minY: min(box.minY, y), maxX: max(box.maxX, x), maxY: max(box.maxY, y))
                for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) where mask[ny * width + nx] != 0 && !seen[ny * width + nx] {
                        seen[ny * width + nx] = true
                        stack.append(ny * width + nx)
                    }
                }
            }
            out.append((area, box))
        }
        return out
    }

    @Test(arguments: [(1, 1), (3, 7), (17, 5), (40, 30), (320, 180)])
    func runLabellingMatchesAFloodFill(width: Int, height: Int) {
        var generator = MaskGenerator(state: 0x9E37_79B9_7F4A_7C15 &+ UInt64(width * 1000 + height))
        var scratch = ConnectedComponents.Scratch()
        for density in [1, 3, 5, 7] as [UInt64] {
            let mask = generator.mask(width: width, height: height, density: density)
            let blobs = ConnectedComponents.blobs(mask: mask, width: width, height: height, minArea: 1, scratch: &scratch)
            let expected = Self.reference(mask, width: width, height: height)
            #expect(blobs.map(\.area) == expected.map(\.area))
            #expect(blobs.map(\.box) == expected.map(\.box))
        }
    }
}

@Suite struct MorphologyTests {
    @Test(arguments: [(1, 1), (2, 9), (4, 4), (5, 3), (6, 6), (33, 17), (64, 7), (130, 6), (320, 180)])
    func dilate5IsTwoDilations(width: Int, height: Int) {
        var generator = MaskGenerator(state: UInt64(width * 7919 + height))
        var scratch: [UInt8] = []
        for density in [0, 1, 2] as [UInt64] {
            let mask = generator.mask(width: width, height: height, density: density)
            var twice = mask
            Morphology.dilate(&twice, scratch: &scratch, width: width, height: height)
            Morphology.dilate(&twice, scratch: &scratch, width: width, height: height)
            var once = mask
            Morphology.dilate5(&once, scratch: &scratch, width: width, height: height)
            #expect(once == twice)
        }
    }

    /// The fused pass (rows kept as bits between the erosion and the dilation) against the
    /// two passes it stands for, on widths around the 64-pixel words and the analysis size.
    @Test(arguments: [(1, 1), (2, 9), (7, 1), (33, 17), (63, 5), (64, 7), (65, 4), (130, 6), (320, 180), (4100, 3)])
    func erodeThenDilate5IsErodeThenDilate5(width: Int, height: Int) {
        var generator = MaskGenerator(state: UInt64(width * 104_729 + height))
        var scratch: [UInt8] = []
        for density in [0, 1, 2, 8, 9, 10] as [UInt64] {
            let mask = generator.mask(width: width, height: height, density: density)
            var apart = mask
            Morphology.erode(&apart, scratch: &scratch, width: width, height: height)
            Morphology.dilate5(&apart, scratch: &scratch, width: width, height: height)
            var fused = mask
            Morphology.erodeThenDilate5(&fused, scratch: &scratch, width: width, height: height)
            #expect(fused == apart)
        }
    }

    /// Erosion and dilation against their definition: a pixel's neighbours within the
    /// frame, all set (erosion) or any set (dilation).
    @Test(arguments: [(1, 1), (1, 7), (7, 1), (3, 2), (17, 5), (40, 33), (63, 4), (64, 5), (65, 6), (128, 3), (131, 9), (320, 180)])
    func erodeAndDilateMatchTheirDefinition(width: Int, height: Int) {
        var generator = MaskGenerator(state: UInt64(width * 31 + height))
        var scratch: [UInt8] = []
        // Sparse masks for dilation, dense ones for erosion.
        for density in [0, 1, 2, 8, 9, 10] as [UInt64] {
            let mask = generator.mask(width: width, height: height, density: density)
            func reference(_ radius: Int, erode: Bool) -> [UInt8] {
                var out = mask
                for y in 0..<height {
                    for x in 0..<width {
                        var all = true, any = false
                        for dy in -radius...radius {
                            for dx in -radius...radius {
                                let nx = x + dx, ny = y + dy
                                guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                                if mask[ny * width + nx] != 0 { any = true } else { all = false }
                            }
                        }
                        out[y * width + x] = (erode ? all : any) ? 255 : 0
                    }
                }
                return out
            }
            var eroded = mask, dilated = mask, dilated5 = mask
            Morphology.erode(&eroded, scratch: &scratch, width: width, height: height)
            Morphology.dilate(&dilated, scratch: &scratch, width: width, height: height)
            Morphology.dilate5(&dilated5, scratch: &scratch, width: width, height: height)
            #expect(eroded == reference(1, erode: true))
            #expect(dilated == reference(1, erode: false))
            #expect(dilated5 == reference(2, erode: false))
        }
    }

    @Test func openingRemovesSpecksAndKeepsSolidRegions() {
        let width = 12, height = 12
        var mask = [UInt8](repeating: 0, count: width * height)
        mask[1 * width + 1] = 255
        for y in 4...9 { for x in 4...9 { mask[y * width + x] = 255 } }
        let opened = Morphology.open(mask, width: width, height: height)
        #expect(opened[1 * width + 1] == 0)
        #expect(opened.filter { $0 != 0 }.count == 36)
    }
}
