import { expect } from 'chai';
import { imageSegmentKind } from '../../src/lsst/image-segments.js';
import { newJobId } from '../../src/jobs/job-files.js';
import { LEVELS } from '../../src/catalog/model.js';

describe('/image/v0/{segment}: a level, an IVOA service or a job, never two of them', () => {
  it('tells levels (any case), the IVOA services and jobs apart', () => {
    for (const level of LEVELS) {
      expect(imageSegmentKind(`/image/v0/${level}/DR1/calexp`)).to.equal('level');
      expect(imageSegmentKind(`/image/v0/${level.toLowerCase()}`)).to.equal('level');
    }
    for (const service of ['sia', 'soda', 'datalink', 'hips']) expect(imageSegmentKind(`/image/v0/${service}/query`)).to.equal('service');
    expect(imageSegmentKind('/image/v0/Ab3_x9/status')).to.equal('job');
    expect(imageSegmentKind('/image/v0')).to.equal(null);
    expect(imageSegmentKind('/image/v0/')).to.equal(null);
    expect(imageSegmentKind('/meta/v0/image/L2')).to.equal(null);
  });

  it('never takes a job id for a level or a service', () => {
    for (let i = 0; i < 2000; i++) expect(imageSegmentKind(`/image/v0/${newJobId()}/status`)).to.equal('job');
  });
});
