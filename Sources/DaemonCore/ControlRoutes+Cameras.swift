import Catalog
import Analysis
import ControlProtocol
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Storage
import Synchronization
import Tickets

/// Routes of cameras: list, status, live picture, switch off and on.
extension ControlRoutes {
    func addCameras(to routes: ControlRouter) {
        routes.get("/v1/cameras", .readCameras) { request, context in
            var list = cameraStatuses(request.language, access: try context.who.access)
            let leases = await leaseInfo()
            for i in list.indices { (list[i].node, list[i].leaseAge) = leases[list[i].id] ?? (nil, nil) }
            return try JSONResponse.ok(CameraList(cameras: list), language: request.language)
        }
        routes.get("/v1/cameras/:id", .readCameras) { request, context in
            var status = Self.status(try camera(context), request.language)
            (status.node, status.leaseAge) = await leaseInfo()[status.id] ?? (nil, nil)
            return try JSONResponse.ok(status, language: request.language)
        }
        routes.get("/v1/cameras/:id/snapshot", .readCameras) { _, context in
            let camera = try camera(context)
            let id = camera.config.id
            guard let worker = camera.worker else {
                throw ControlError.conflict(camera.disabled != nil ? .cameraDisabledNoPicture(camera: id) : .cameraNotRunningNoPicture(camera: id))
            }
            let state = worker.health.state
            guard state == .streaming else {
                throw ControlError.conflict(.cameraNotStreamingNoPicture(camera: id, state: state.rawValue))
            }
            // Encoding takes milliseconds: off the event loop and the concurrency pool.
            let shot = try await Self.offPool { try worker.currentSnapshot() }
            guard let shot else { throw ControlError.conflict(.noFrameYet(camera: id)) }
            return Response(
                status: .ok,
                headers: [.contentType: "image/jpeg", .cacheControl: "no-store", .lastModified: HTTPDate.format(time_t(shot.at.timeIntervalSince1970))],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: shot.jpeg)))
        }
        routes.post("/v1/cameras/:id/:switch", .manage) { request, context in
            let camera = try camera(context)
            let id = camera.config.id
            let verb = context.parameters.get("switch") ?? ""
            guard verb == "enable" || verb == "disable" else {
                throw ControlError.notFound(.noSuchCameraAction(verb: verb))
            }
            let caller = try context.who
            let body: CameraActionRequest = try await Self.decodeJSON(
                request, fields: ["reason"], example: "{\"reason\": \"...\"}") ?? CameraActionRequest()
            try PlainText.check(body.reason, field: "reason")
            let changed: Bool
            do {
                if verb == "disable" {
                    let record = CameraSwitchRecord(cameraId: id, disabledBy: caller.actor, disabledAt: Date(), reason: body.reason)
                    // Stored first: if the store cannot say so, the camera stays as it is.
                    if camera.disabled == nil { try store.setCameraDisabled(id, record) }
                    changed = try cameras.disable(id, record: record)
                } else {
                    if camera.disabled != nil { try store.setCameraDisabled(id, nil) }
                    changed = try cameras.enable(id, actor: caller.actor)
                }
            } catch let error as CameraManager.SwitchError {
                switch error {
                case .unknownCamera: throw ControlError.notFound(.noSuchCamera(id: id, known: cameras.list().map(\.config.id)))
                case .stopping: throw ControlError.unavailable(.daemonStopping)
                }
            }
            guard let now = cameras.camera(id) else { throw ControlError.notFound(.noSuchCamera(id: id, known: cameras.list().map(\.config.id))) }
            return try JSONResponse.ok(CameraActionResponse(camera: Self.status(now, request.language), changed: changed), language: request.language)
        }
    }
}
