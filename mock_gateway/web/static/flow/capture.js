// Where photos come from: the live camera (auto-capture once the card is steady, or the capture button) or, when
// there is no camera or no permission, a file the user picks. Either way the gateway gets a JPEG.

const JPEG_QUALITY = 0.92;
const SAMPLE_MS = 100; // how often the preview is judged
const STEADY_MS = 800; // a frame this still for this long is captured
const SAMPLE_WIDTH = 64; // the preview is judged on a small grey copy: cheap, and blind to sensor noise
const SAMPLE_HEIGHT = 48;
const MOVING = 6; // mean grey difference (0-255) between two samples above which the picture is moving
const FLAT = 12; // grey standard deviation below which the frame shows nothing (covered lens, a blank wall)
const DARK = 40; // mean grey below which the card cannot be read

// A JPEG of anything drawable (the video, a decoded file) at its full size.
function toJpeg(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(source, 0, 0, width, height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no JPEG"))), "image/jpeg", JPEG_QUALITY);
  });
}

// Mean and spread of a grey sample, and how far it moved since the previous one.
function judge(grey, previous) {
  let sum = 0;
  let squares = 0;
  let moved = 0;
  for (let i = 0; i < grey.length; i += 1) {
    sum += grey[i];
    squares += grey[i] * grey[i];
    if (previous) {
      moved += Math.abs(grey[i] - previous[i]);
    }
  }
  const mean = sum / grey.length;
  const spread = Math.sqrt(Math.max(0, squares / grey.length - mean * mean));
  if (mean < DARK) {
    return "tooDark";
  }
  if (spread < FLAT || !previous || moved / grey.length > MOVING) {
    return "placeCard";
  }
  return "holdStill";
}

// The live camera, rear one preferred. Rejects when there is none or the user says no.
export async function openCamera(video) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("no camera API (an insecure context, or an old browser)");
  }
  // `ideal`, never `exact`: a laptop or a fake camera has no rear camera and must still open.
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
  });
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) {
    await new Promise((resolve) => video.addEventListener("loadeddata", resolve, { once: true }));
  }
  return new CameraSource(video, stream);
}

class CameraSource {
  constructor(video, stream) {
    this.video = video;
    this.stream = stream;
    this.sampler = document.createElement("canvas");
    this.sampler.width = SAMPLE_WIDTH;
    this.sampler.height = SAMPLE_HEIGHT;
    this.context = this.sampler.getContext("2d", { willReadFrequently: true });
    this.prompt = "placeCard";
  }

  // The preview as SAMPLE_WIDTH x SAMPLE_HEIGHT grey levels.
  sample() {
    this.context.drawImage(this.video, 0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
    const rgba = this.context.getImageData(0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT).data;
    const grey = new Float32Array(SAMPLE_WIDTH * SAMPLE_HEIGHT);
    for (let i = 0; i < grey.length; i += 1) {
      grey[i] = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
    }
    return grey;
  }

  // The next photo: taken when the card has been steady for STEADY_MS, or when `button` is pressed.
  // `onHint` hears "tooDark" | "placeCard" | "holdStill" whenever the advice changes.
  next(signal, { button, onHint }) {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      let previous = null;
      let steadySince = null;
      let hint = null;
      let timer = null;
      const stop = () => {
        clearInterval(timer);
        button.removeEventListener("click", take);
        button.disabled = true;
      };
      const take = () => {
        stop();
        toJpeg(this.video, this.video.videoWidth, this.video.videoHeight).then(resolve, reject);
      };
      timer = setInterval(() => {
        const grey = this.sample();
        const advice = judge(grey, previous);
        previous = grey;
        if (advice !== hint) {
          hint = advice;
          onHint(advice);
        }
        steadySince = advice === "holdStill" ? (steadySince ?? performance.now()) : null;
        if (steadySince !== null && performance.now() - steadySince >= STEADY_MS) {
          take();
        }
      }, SAMPLE_MS);
      button.addEventListener("click", take);
      button.disabled = false;
      signal.addEventListener("abort", () => {
        stop();
        reject(signal.reason);
      }, { once: true });
    });
  }

  close() {
    this.stream.getTracks().forEach((track) => track.stop());
  }
}

// True when this browser can offer a file picker at all (some WebViews disable it).
export function canPickFiles(input) {
  return input.type === "file" && !input.disabled;
}

// Photos the user picks from their files or gallery.
export class FileSource {
  constructor(input) {
    this.input = input;
    this.prompt = "choosePhoto";
  }

  // The next chosen file as a JPEG; a file that does not decode is reported through `onUnreadable` and the
  // picker stays open for another.
  next(signal, { onUnreadable }) {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      const input = this.input;
      const stop = () => {
        input.removeEventListener("change", chosen);
        input.disabled = true;
      };
      async function chosen() {
        const file = input.files[0];
        input.value = "";
        if (!file) {
          return;
        }
        try {
          // Decoding and re-encoding applies the photo's EXIF orientation and turns HEIC/WebP/PNG into JPEG.
          const bitmap = await createImageBitmap(file);
          const jpeg = await toJpeg(bitmap, bitmap.width, bitmap.height);
          bitmap.close();
          stop();
          resolve(jpeg);
        } catch {
          onUnreadable();
        }
      }
      input.addEventListener("change", chosen);
      input.disabled = false;
      signal.addEventListener("abort", () => {
        stop();
        reject(signal.reason);
      }, { once: true });
    });
  }

  close() {}
}
